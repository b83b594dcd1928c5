module.exports = function(app) {
  app.enableAuth();
};
