package hub

// Observer sees what a [Hub] does: publishes, subscribers coming and going,
// events dropped and subscribers cut off for being slow, resync signals,
// and gaps in the backend's live feed. Set it as [Options.Observer]; a hub
// without one pays a nil check per event.
//
// Methods are called from publishers' goroutines, subscribers' handlers and
// the backend's feed, concurrently; they must be quick, must not block and
// must not call the hub. The topic is passed so that an observer may count
// per topic, but topic names come from clients: an exporter must not turn
// them into metric labels without a bounded mapping.
type Observer interface {
	// Published is called once per event that [Hub.Publish] stored.
	Published(topic string)

	// Subscribed and Unsubscribed bracket each [Subscription]: from
	// [Hub.Subscribe] returning it to its [Subscription.Close].
	Subscribed(topic string)
	Unsubscribed(topic string)

	// Dropped reports events discarded from slow subscribers' queues
	// under the [DropOldest] policy.
	Dropped(topic string, events int64)

	// SlowDisconnected reports subscribers cut off under the [Disconnect]
	// policy.
	SlowDisconnected(topic string, subscribers int)

	// Resynced is called for each resync signal a subscription delivers
	// (see [Reason]): once per subscriber that receives it.
	Resynced(topic string, reason Reason)

	// BackendGap is called when the backend reports that the topic's live
	// feed may have missed events ([Listener.Gap]), after a reconnect for
	// one; the hub then reads the history to catch up.
	BackendGap(topic string)
}

// BackendObserver sees the connection of a [Backend] on a shared store:
// the Redis backend reports here when its live-feed connection is lost and
// when it is back. An exporter implements it beside [Observer].
//
// Methods are called from the backend's goroutines and must not block.
type BackendObserver interface {
	// BackendDisconnected reports the live-feed connection lost, with why.
	BackendDisconnected(err error)
	// BackendReconnected reports it working again after a loss.
	BackendReconnected()
}

// observerOf returns the hub's observer: opts.Observer, or else the
// registry's observer when it is also a hub Observer, so that one exporter
// set on the registry covers the hub too.
func observerOf(o *Options) Observer {
	if o.Observer != nil {
		return o.Observer
	}
	if o.Registry != nil {
		if ho, ok := o.Registry.Observer.(Observer); ok {
			return ho
		}
	}
	return nil
}

// observeResync tells the observer about a resync signal a subscription of
// topic delivers.
func (h *Hub) observeResync(topic string, e *Event) {
	if h.obs != nil && e.Resync != "" {
		h.obs.Resynced(topic, e.Resync)
	}
}
