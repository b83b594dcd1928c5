module.exports = (Tag) => {
  Tag.validatesUniquenessOf('label', {message: 'label is taken'});
  Tag.disableRemoteMethodByName('upsertWithWhere');
  Tag.disableRemoteMethodByName('createChangeStream');
};
