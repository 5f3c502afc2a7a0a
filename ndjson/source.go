package ndjson

import "iter"

// Seq sends every value of seq as a record.
//
// It checks [Stream.Done] before every value, so a client that leaves stops
// it at the next one; a producer blocked inside seq cannot be interrupted
// from here, so give it [Stream.Context] and let it return when that is
// done. Seq returns nil once seq is exhausted, leaving the stream open for
// the caller to Close; the stream's cause ([Stream.Err], such as one
// matching [core.ErrClientGone]) when the stream has ended; and otherwise
// the [Stream.Encode] error that stopped it, after ending the stream with
// [Stream.Error], so that an envelope client gets it as the last record.
func Seq[T any](s *Stream, seq iter.Seq[T]) error {
	var err error
	for v := range seq {
		if err = s.next(v); err != nil {
			break
		}
	}
	return s.stopped(err)
}

// Seq2 sends every value of seq as a record until seq yields a non-nil
// error. That error ends the stream through [Stream.Error], which makes it
// the envelope error record, and Seq2 returns it. Otherwise Seq2 behaves as
// [Seq]: it stops when the stream ends, returning the stream's cause, and
// returns nil once seq is exhausted.
func Seq2[T any](s *Stream, seq iter.Seq2[T, error]) error {
	var err error
	for v, verr := range seq {
		if verr != nil {
			err = verr
			break
		}
		if err = s.next(v); err != nil {
			break
		}
	}
	return s.stopped(err)
}

// Chan sends every value received from ch as a record, until ch is closed
// or the stream ends. It waits on ch and on [Stream.Done] together, so a
// channel that stops sending cannot hold the handler once the client has
// left; the producer should stop on [Stream.Done] too. Chan returns nil
// when ch is closed while the stream is open, and otherwise as [Seq] does.
func Chan[T any](s *Stream, ch <-chan T) error {
	done := s.Context().Done()
	for {
		select {
		case <-done:
			return s.Err()
		case v, ok := <-ch:
			if !ok {
				return s.Err()
			}
			if err := s.Encode(v); err != nil {
				return s.stopped(err)
			}
		}
	}
}

// next encodes v unless the stream has already ended.
func (s *Stream) next(v any) error {
	select {
	case <-s.Context().Done():
		return s.Err()
	default:
	}
	return s.Encode(v)
}

// stopped turns what stopped a source into its result, ending the stream
// with an error the client should hear about.
func (s *Stream) stopped(err error) error {
	if cause := s.Err(); cause != nil {
		return cause // even if the producer finished: the stream did first
	}
	if err == nil {
		return nil
	}
	s.Error(err) //nolint:errcheck // err is what the caller needs to know
	return err
}
