module.exports = function(Mark) {
  Mark.disableRemoteMethodByName('createChangeStream');
};
