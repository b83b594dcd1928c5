'use strict';
// Callback style: every idiom of the translator's subset, answered through cb(err, value).
module.exports = function(Note) {
  Note.greet = function(msg, cb) {
    if (!msg) {
      var err = new Error('msg is required');
      err.statusCode = 422;
      err.code = 'MISSING_MSG';
      return cb(err);
    }
    cb(null, 'Hello ' + msg + '! (' + msg.length + ' letters)');
  };

  Note.stats = function(cb) {
    Note.find({order: 'id ASC'}, function(err, notes) {
      if (err) return cb(err);
      var pages = 0;
      notes.forEach(function(note) {
        pages += note.pages;
      });
      var open = notes.filter(function(n) { return !n.done; }).map(function(n) { return n.title.toUpperCase(); });
      var longest = notes.reduce(function(best, n) { return n.pages > best ? n.pages : best; }, 0);
      cb(null, {
        count: notes.length,
        pages: pages,
        open: open,
        longest: longest,
        average: notes.length ? Math.round(pages / notes.length) : 0,
        json: JSON.stringify({first: notes.length ? notes[0].title : null, sizes: notes.map(n => n.pages)}),
      });
    });
  };

  Note.label = function(id, cb) {
    Note.findById(id, function(err, note) {
      if (err) return cb(err);
      if (!note) {
        var e = new Error('no note ' + id);
        e.status = 404;
        return cb(e);
      }
      var kind;
      switch (note.pages) {
        case 0:
          kind = 'empty';
          break;
        case 1:
        case 2:
          kind = 'short';
          break;
        default:
          kind = 'long';
      }
      cb(null, note.title + ': ' + kind, note.done ? 'done' : 'open');
    });
  };

  Note.finishAll = function(cb) {
    Note.updateAll({done: false}, {done: true}, function(err, info) {
      if (err) return cb(err);
      Note.count({done: true}, function(err, n) {
        if (err) return cb(err);
        cb(null, info.count, n);
      });
    });
  };

  Note.prototype.shout = function(times, cb) {
    var parts = [];
    for (var i = 0; i < times; i++) {
      parts.push(this.title.toUpperCase());
    }
    cb(null, parts.join(' '));
  };

  Note.observe('before save', function(ctx, next) {
    if (ctx.instance) {
      ctx.instance.slug = ctx.instance.title.toLowerCase().split(' ').join('-');
    } else if (ctx.data && ctx.data.title) {
      ctx.data.slug = ctx.data.title.toLowerCase().split(' ').join('-');
    }
    next();
  });

  Note.beforeRemote('create', function(ctx, unused, next) {
    if (ctx.args.data && ctx.args.data.title === 'forbidden') {
      var err = new Error('that title is not allowed');
      err.statusCode = 403;
      return next(err);
    }
    next();
  });

  Note.afterRemote('findById', function(ctx, unused, next) {
    console.log('read', ctx.result.title);
    next();
  });
};
