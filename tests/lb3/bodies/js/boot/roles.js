'use strict';
// A boot script that creates a user, a role and the role mapping between them.
module.exports = function(app, cb) {
  var User = app.models.User;
  var Role = app.models.Role;
  var RoleMapping = app.models.RoleMapping;
  User.create({email: 'admin@example.com', password: 'long secret'}, function(err, admin) {
    if (err) return cb(err);
    Role.create({name: 'admin'}, function(err, role) {
      if (err) return cb(err);
      role.principals.create({principalType: RoleMapping.USER, principalId: admin.id}, function(err) {
        if (err) return cb(err);
        cb();
      });
    });
  });
};
