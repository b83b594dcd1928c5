'use strict';
// Promise style and async/await: the same idioms as note.js, answered by return and throw.
module.exports = function(Task) {
  Task.greet = async function(msg) {
    if (!msg) {
      const err = new Error('msg is required');
      err.statusCode = 422;
      err.code = 'MISSING_MSG';
      throw err;
    }
    return `Hello ${msg}! (${msg.length} letters)`;
  };

  Task.stats = async function() {
    const tasks = await Task.find({order: 'id ASC'});
    let pages = 0;
    for (const task of tasks) {
      pages += task.pages;
    }
    const open = tasks.filter(t => !t.done).map(t => t.title.toUpperCase());
    const longest = tasks.reduce((best, t) => (t.pages > best ? t.pages : best), 0);
    return {
      count: tasks.length,
      pages,
      open,
      longest,
      average: tasks.length ? Math.round(pages / tasks.length) : 0,
      json: JSON.stringify({first: tasks.length ? tasks[0].title : null, sizes: tasks.map(t => t.pages)}),
    };
  };

  Task.label = function(id) {
    return Task.findById(id).then(function(task) {
      if (!task) {
        const e = new Error('no task ' + id);
        e.status = 404;
        throw e;
      }
      const kind = task.pages === 0 ? 'empty' : task.pages <= 2 ? 'short' : 'long';
      return [task.title + ': ' + kind, task.done ? 'done' : 'open'];
    });
  };

  Task.finishAll = async function() {
    const info = await Task.updateAll({done: false}, {done: true});
    const n = await Task.count({done: true});
    return [info.count, n];
  };

  Task.prototype.shout = async function(times) {
    const parts = [];
    for (let i = 0; i < times; i++) {
      parts.push(this.title.toUpperCase());
    }
    return parts.join(' ');
  };

  Task.observe('before save', async function(ctx) {
    if (ctx.instance) {
      ctx.instance.slug = ctx.instance.title.toLowerCase().split(' ').join('-');
    } else if (ctx.data && ctx.data.title) {
      ctx.data.slug = ctx.data.title.toLowerCase().split(' ').join('-');
    }
  });

  Task.beforeRemote('create', function(ctx, unused, next) {
    if (ctx.args.data && ctx.args.data.title === 'forbidden') {
      const err = new Error('that title is not allowed');
      err.statusCode = 403;
      return next(err);
    }
    next();
  });
};
