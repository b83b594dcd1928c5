'use strict';
// A boot script: records created through app.models, in callback style.
module.exports = function(app, cb) {
  var Note = app.models.Note;
  Note.create({title: 'Seeded Note', pages: 3}, function(err, note) {
    if (err) return cb(err);
    note.updateAttributes({done: true}, function(err) {
      if (err) return cb(err);
      cb();
    });
  });
};
