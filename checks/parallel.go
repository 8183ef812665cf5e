package checks

import "sync"

// parallel runs fs concurrently and waits for all of them. A panic in one
// is raised again in the caller once all have finished: the pipeline
// recovers panics only in the check's own goroutine, and an unrecovered
// panic in any other would end the whole run.
func parallel(fs ...func()) {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		crashed any
	)
	for _, f := range fs {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					mu.Lock()
					if crashed == nil {
						crashed = p
					}
					mu.Unlock()
				}
			}()
			f()
		})
	}
	wg.Wait()
	if crashed != nil {
		panic(crashed)
	}
}
