'use strict';
// Relation accessors (hasMany) from prototype methods, in callback and in async style.
module.exports = function(Customer) {
  Customer.prototype.placeOrder = function(amount, cb) {
    this.orders.create({amount: amount}, function(err, order) {
      if (err) return cb(err);
      cb(null, order);
    });
  };

  Customer.prototype.summary = async function() {
    const orders = await this.orders.find({order: 'id ASC'});
    const count = await this.orders.count();
    return {name: this.name, count: count, total: orders.reduce((sum, o) => sum + o.amount, 0)};
  };

  Customer.observe('after save', function(ctx, next) {
    if (ctx.isNewInstance) {
      console.log('new customer', ctx.instance.name);
    }
    next();
  });
};
