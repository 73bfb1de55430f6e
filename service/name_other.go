//go:build !windows && !darwin

package service

func hostRule() nameRule { return linuxRule() }
