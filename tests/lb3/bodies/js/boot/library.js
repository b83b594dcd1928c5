'use strict';
// A boot script without a callback whose calls LoopBack did not wait for (the usual sample-data script).
module.exports = function(app) {
  var Note = app.models.Note;
  app.enableAuth();
  Note.create({title: 'One', pages: 1}, function(err, one) {
    if (err) throw err;
    console.log('Created note:', one.title);
    one.updateAttributes({done: true}, function(err) {
      if (err) throw err;
    });
  });
  Note.create({title: 'Two', pages: 2}, function(err) {
    if (err) throw err;
  });
};
