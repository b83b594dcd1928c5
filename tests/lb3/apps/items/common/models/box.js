module.exports = function Box(Box) {
  Box.disableRemoteMethodByName('createChangeStream');
  Box.disableRemoteMethodByName('replaceOrCreate');
  Box.disableRemoteMethodByName('upsertWithWhere');
  Box.disableRemoteMethodByName('exists');
  Box.disableRemoteMethodByName('prototype.updateAttributes');
};
