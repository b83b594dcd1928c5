module.exports = function(Model, options) {
  Model.defineProperty('audited', {type: 'boolean', default: true});
  Model.observe('after save', function(ctx, next) {
    next();
  });
};
