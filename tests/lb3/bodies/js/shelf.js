'use strict';
// findOne, save, destroy, destroyById, count, .catch() and Model.app.models, in callback, promise and async style.
module.exports = function(Shelf) {
  Shelf.rename = function(current, wanted, cb) {
    Shelf.findOne({where: {name: current}}, function(err, shelf) {
      if (err) return cb(err);
      if (!shelf) return cb(null, 'missing');
      shelf.name = wanted;
      shelf.save(function(err, saved) {
        if (err) return cb(err);
        cb(null, saved.name);
      });
    });
  };

  Shelf.purge = function(name) {
    return Shelf.findOne({where: {name: name}}).then(function(shelf) {
      if (!shelf) return 0;
      return shelf.destroy().then(function(info) {
        return info.count;
      });
    });
  };

  Shelf.describe = function(id) {
    return Shelf.findById(id).then(function(shelf) {
      if (!shelf) {
        throw new Error('gone');
      }
      return 'shelf ' + shelf.name;
    }).catch(err => 'error: ' + err.message);
  };

  Shelf.broken = function(cb) {
    cb(new Error('internal detail'));
  };

  Shelf.busy = function(cb) {
    var err = new Error('the database is down');
    err.statusCode = 503;
    err.code = 'BUSY';
    cb(err);
  };

  Shelf.drop = async function(id) {
    const info = await Shelf.destroyById(id);
    const left = await Shelf.count();
    const Note = Shelf.app.models.Note;
    const notes = await Note.find({where: {title: {like: 'Shelf'}}});
    return {removed: info.count, left: left, notes: notes.length};
  };
};
