'use strict';

module.exports = function(app) {
  var Note = app.models.Note;
  app.models.Tag.disableRemoteMethodByName('prototype.__delete__marks');
  // nested routes need the relations, which exist once every model is set up
  Note.nestRemoting('tags');
};
