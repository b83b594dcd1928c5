'use strict';
// Bodies outside the subset: each must become a stub that answers 501 naming this file and line.
var request = require('request');
module.exports = function(Gadget) {
  Gadget.fetch = function(url, cb) {
    request(url, function(err, res, body) { cb(err, body); });
  };

  Gadget.later = function(cb) {
    setTimeout(function() { cb(null, 'late'); }, 10);
  };

  Gadget.secret = function(cb) {
    process.env.SECRET = 'x';
    cb(null, process.env.SECRET);
  };

  Gadget.self = function(cb) {
    cb(null, this.modelName);
  };

  Gadget.proto = function(cb) {
    Array.prototype.last = function() { return this[this.length - 1]; };
    cb(null, [1, 2].last());
  };

  Gadget.twice = function(cb) {
    cb(null, 1);
    cb(null, 2);
  };

  Gadget.silent = function(cb) {
    if (Math.random() > 2) {
      cb(null, 'never');
    }
  };
};
