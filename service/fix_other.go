//go:build !linux

package service

import ks "github.com/kardianos/service"

func status(sv ks.Service, _ string) (ks.Status, error) { return sv.Status() }

func cleanup(string) error { return nil }
