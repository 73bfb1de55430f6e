package service

import "time"

// logs returns nothing on Windows: the supervisor logs to the Application
// event log.
func logs(string, time.Time, int) []string { return nil }
