'use strict';

const SIZES = ['S', 'M', 'L'];
const TEXT = {type: 'string'};
const QUERY = {http: {source: 'query'}};

module.exports = (Item) => {
  Item.settings.strict = true;

  Item.validatesPresenceOf('name', 'code');
  Item.validatesNumericalityOf('qty', {int: true});
  Item.validatesFormatOf('code', {with: /^[A-Z]+$/, message: 'upper case only'});
  Item.validatesInclusionOf('size', {in: SIZES, allowNull: true});

  Item.label = function(prefix, suffix, cb) {
    cb(null, prefix + suffix);
  };
  Item.remoteMethod('label', {
    accepts: [{arg: 'prefix', ...TEXT, ...QUERY}, {arg: 'suffix', ...TEXT, required: true}],
    returns: {arg: 'label', ...TEXT},
    http: [{verb: 'get', path: '/label'}, {verb: 'post', path: '/label'}],
  });

  Item.download = function(cb) {
    cb(null, Buffer.from('hello'), 'text/plain');
  };
  Item.remoteMethod('download', {
    returns: [
      {arg: 'body', type: 'file', root: true},
      {arg: 'Content-Type', type: 'string', http: {target: 'header'}},
    ],
    http: {verb: 'get', path: '/download'},
  });

  Item.disableRemoteMethod('findOne', true);
  Item.disableRemoteMethodByName('prototype.patchAttributes');
  Item.disableRemoteMethodByName('createChangeStream');
};
