'use strict';

const SEARCH_ACCEPTS = [{arg: 'text', type: 'string', required: true, http: {source: 'query'}}];
const SEARCH_HTTP = {verb: 'get', path: '/search'};
const TITLE_MIN = 3;

module.exports = function(Note) {
  Note.search = function(text, cb) {
    Note.find({where: {title: text}}, cb);
  };
  Note.remoteMethod('search', {
    description: 'Notes with this title',
    accepts: SEARCH_ACCEPTS,
    returns: {arg: 'notes', type: ['Note'], root: true},
    http: SEARCH_HTTP,
  });

  Note.stats = async function() {
    const count = await Note.count();
    return {count: count};
  };
  Note.remoteMethod('stats', {
    returns: {arg: 'stats', type: 'object', root: true},
    http: {verb: 'get', path: '/stats', status: 200, errorStatus: 400},
  });

  Note.prototype.shout = function(cb) {
    cb(null, this.title.toUpperCase());
  };
  Note.remoteMethod('shout', {
    isStatic: false,
    returns: {arg: 'text', type: 'string'},
    http: {verb: 'post', path: '/shout', status: 201},
  });

  Note.remoteMethod('prototype.archive', {
    accepts: [{arg: 'reason', type: 'string'}],
    returns: {arg: 'done', type: 'boolean'},
    http: {verb: 'put', path: '/archive'},
  });
  Note.prototype.archive = function(reason, cb) { cb(null, true); };

  // a scope needs the datasource: LoopBack 3 has it once the model is attached
  Note.on('attached', function() {
    Note.scope('vips', {where: {vip: true}});
  });
  Note.disableRemoteMethodByName('deleteById');
  Note.disableRemoteMethodByName('createChangeStream');
  Note.disableRemoteMethod('replaceById', true);
  Note.disableRemoteMethod('__delete__tags', false);

  Note.validatesLengthOf('title', {min: TITLE_MIN, message: {min: 'is too short'}});
  Note.validatesExclusionOf('title', {in: ['admin', 'root']});
};
