package service

func hostRule() nameRule { return windowsRule() }
