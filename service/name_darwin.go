package service

func hostRule() nameRule { return darwinRule() }
