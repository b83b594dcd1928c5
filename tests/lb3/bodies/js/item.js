'use strict';
// Operation hooks and remote hooks: ctx.instance, ctx.data, ctx.isNewInstance, ctx.hookState,
// delete and Object.assign on ctx.data, ctx.req.headers, ctx.result, Promise.all.
module.exports = function(Item) {
  Item.observe('before save', async ctx => {
    if (ctx.isNewInstance) {
      ctx.instance.createdBy = 'import';
    }
    if (ctx.data) {
      delete ctx.data.secret;
      Object.assign(ctx.data, {touched: true});
    }
    ctx.hookState.seen = true;
  });

  Item.observe('after save', function(ctx, next) {
    if (ctx.hookState.seen && ctx.instance) {
      console.log('saved', ctx.instance.id, ctx.isNewInstance);
    }
    next();
  });

  Item.beforeRemote('prototype.patchAttributes', function(ctx, unused, next) {
    if (ctx.req.headers['x-lock'] === 'yes') {
      const err = new Error('locked');
      err.statusCode = 423;
      err.code = 'LOCKED';
      return next(err);
    }
    next();
  });

  Item.afterRemote('findById', function(ctx, unused, next) {
    ctx.result.label = ctx.result.name + ' #' + ctx.result.id;
    next();
  });

  Item.census = async function() {
    const [count, items] = await Promise.all([Item.count(), Item.find({order: 'id DESC'})]);
    return {count: count, names: items.map(item => item.name)};
  };

  Item.renameAll = function(prefix) {
    return Item.find().then(function(items) {
      return Promise.all(items.map(item => item.updateAttributes({name: prefix + item.name})));
    }).then(function(saved) {
      return saved.length;
    });
  };
};
