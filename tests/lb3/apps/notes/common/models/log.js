'use strict';

module.exports = function(Log) {
  Log.observe('before save', function(ctx, next) {
    setTimeout(next, 0);
  });
  Log.beforeRemote('create', function(ctx, unused, next) {
    next();
  });
  Log.afterRemote('find', logResult);
  Log.afterRemoteError('prototype.*', function(ctx, next) {
    next();
  });

  function logResult(ctx, result, next) {
    next();
  }

  Log.ping = function(cb) {
    setTimeout(function() {
      cb(null, 'pong');
    }, 10);
  };
  Log.remoteMethod('ping', {
    returns: {arg: 'answer', type: 'string'},
    http: {verb: 'get'},
  });
  Log.disableRemoteMethodByName('createChangeStream');
};
