package bootstrap

import "log/slog"

// rollback undoes, newest first, what a failed operation created: the one
// rollback of the pipeline (prepare's directory and user, install's
// registration, service, index entries). Steps are pushed as things are
// made; run runs them all.
type rollback struct {
	log   *slog.Logger
	steps []func() error
	names []string
}

func (r *rollback) push(name string, f func() error) {
	r.names = append(r.names, name)
	r.steps = append(r.steps, f)
}

func (r *rollback) run() {
	for i := len(r.steps) - 1; i >= 0; i-- {
		if err := r.steps[i](); err != nil {
			r.log.Error("rollback: could not "+r.names[i], "err", err)
		} else {
			r.log.Info("rollback: " + r.names[i])
		}
	}
}
