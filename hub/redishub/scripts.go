package redishub

import "github.com/redis/go-redis/v9"

// Each topic has two keys, which share the topic name as their hash tag so
// that a script may touch both in Redis Cluster:
//
//	<prefix>{<topic>}:m   hash: "epoch" (the history's epoch), "offset" (its last offset)
//	<prefix>{<topic>}:s   stream: one entry per event, ID "<offset>-0", fields "t" (type), "d" (data)
//	<prefix>{<topic>}:k:<key>  string "<epoch>:<offset>": the event published under an
//	                      idempotency key, expiring after [Options.KeyWindow]
//
// and one Pub/Sub channel, <prefix>{<topic>}, on which every event is
// published as "<epoch>:<offset>:<len(type)>:<type><data>" (see
// parsePayload).
//
// An epoch is created, with the stream deleted, whenever the hash is
// missing: on a topic's first publish or subscription, after FLUSHALL, a
// restart without persistence, an eviction or an expiry. Offsets go through
// string.format('%d') because Lua 5.1 would print large numbers with an
// exponent.

// appendScript stores one event and publishes it, atomically. With a
// third key, the message's idempotency key, an event already stored under
// it is returned instead, and nothing is stored or published.
//
//	KEYS: meta, stream[, idempotency key]
//	ARGV: new epoch, max length (0: keep none), "1" for approximate trimming,
//	      channel, type, data, TTL in ms (0: none), key window in ms
//	returns {epoch, offset}
var appendScript = redis.NewScript(`
if KEYS[3] then
	local prev = redis.call('GET', KEYS[3])
	if prev then
		local sep = string.find(prev, ':', 1, true)
		return {string.sub(prev, 1, sep - 1), string.sub(prev, sep + 1)}
	end
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
	epoch = ARGV[1]
	redis.call('DEL', KEYS[2])
	redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
end
local off = string.format('%d', redis.call('HINCRBY', KEYS[1], 'offset', 1))
local maxlen = tonumber(ARGV[2])
if maxlen > 0 then
	if ARGV[3] == '1' then
		redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, off .. '-0', 't', ARGV[5], 'd', ARGV[6])
	else
		redis.call('XADD', KEYS[2], 'MAXLEN', maxlen, off .. '-0', 't', ARGV[5], 'd', ARGV[6])
	end
end
local ttl = tonumber(ARGV[7])
if ttl > 0 then
	redis.call('PEXPIRE', KEYS[1], ttl)
	redis.call('PEXPIRE', KEYS[2], ttl)
end
redis.call('PUBLISH', ARGV[4], epoch .. ':' .. off .. ':' .. string.len(ARGV[5]) .. ':' .. ARGV[5] .. ARGV[6])
if KEYS[3] then
	redis.call('SET', KEYS[3], epoch .. ':' .. off, 'PX', ARGV[8])
end
return {epoch, off}
`)

// appendBatchScript stores and publishes several events, atomically, as
// appendScript would one after the other: each message with an
// idempotency key already stored, earlier or in this batch, returns the
// event stored under it instead. The offset is counted in the script and
// written once, and the stream trimmed once, at the end.
//
//	KEYS: meta, stream, then the idempotency keys of the messages that have one
//	ARGV: new epoch, max length (0: keep none), "1" for approximate trimming,
//	      channel, TTL in ms (0: none), key window in ms, then per message:
//	      type, data, index in KEYS of its idempotency key (0: none)
//	returns {epoch1, offset1, epoch2, offset2, ...}
var appendBatchScript = redis.NewScript(`
local m = redis.call('HMGET', KEYS[1], 'epoch', 'offset')
local epoch = m[1]
local head = tonumber(m[2]) or 0
local start = head
local maxlen = tonumber(ARGV[2])
local out = {}
for i = 7, #ARGV, 3 do
	local typ, data, k = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
	local prev = false
	if k > 0 then
		prev = redis.call('GET', KEYS[k])
	end
	if prev then
		local sep = string.find(prev, ':', 1, true)
		out[#out + 1] = string.sub(prev, 1, sep - 1)
		out[#out + 1] = string.sub(prev, sep + 1)
	else
		if not epoch then
			epoch = ARGV[1]
			head, start = 0, 0
			redis.call('DEL', KEYS[2])
		end
		head = head + 1
		local off = string.format('%d', head)
		if maxlen > 0 then
			redis.call('XADD', KEYS[2], off .. '-0', 't', typ, 'd', data)
		end
		redis.call('PUBLISH', ARGV[4], epoch .. ':' .. off .. ':' .. string.len(typ) .. ':' .. typ .. data)
		if k > 0 then
			redis.call('SET', KEYS[k], epoch .. ':' .. off, 'PX', ARGV[6])
		end
		out[#out + 1] = epoch
		out[#out + 1] = off
	end
end
if head > start or (epoch and not m[1]) then
	redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', string.format('%d', head))
	if maxlen > 0 then
		if ARGV[3] == '1' then
			redis.call('XTRIM', KEYS[2], 'MAXLEN', '~', maxlen)
		else
			redis.call('XTRIM', KEYS[2], 'MAXLEN', maxlen)
		end
	end
	local ttl = tonumber(ARGV[5])
	if ttl > 0 then
		redis.call('PEXPIRE', KEYS[1], ttl)
		redis.call('PEXPIRE', KEYS[2], ttl)
	end
end
return out
`)

// headScript returns a topic's head, giving it an epoch if it has none.
//
//	KEYS: meta, stream
//	ARGV: new epoch, TTL in ms (0: none)
//	returns {epoch, offset}
var headScript = redis.NewScript(`
local m = redis.call('HMGET', KEYS[1], 'epoch', 'offset')
if m[1] then
	return {m[1], m[2]}
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'offset', 0)
local ttl = tonumber(ARGV[2])
if ttl > 0 then
	redis.call('PEXPIRE', KEYS[1], ttl)
end
return {ARGV[1], '0'}
`)

// readScript reads a topic's head, the ID of its oldest retained event, and
// the events after a position. It reads no events when the position is of
// another epoch or outside the retained range: the caller reports those as
// lost.
//
//	KEYS: meta, stream
//	ARGV: epoch after which to read ("" for the oldest retained), offset, limit
//	returns nil for an unknown topic, else {epoch, offset, oldest ID or nil, entries}
var readScript = redis.NewScript(`
local m = redis.call('HMGET', KEYS[1], 'epoch', 'offset')
if not m[1] then
	return false
end
local head = tonumber(m[2])
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local oldestID = false
local oldest = head + 1
if first[1] then
	oldestID = first[1][1]
	oldest = tonumber(string.match(oldestID, '^%d+'))
end
local after = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
if ARGV[1] == '' then
	after = 0
elseif ARGV[1] ~= m[1] or after > head or after + 1 < oldest then
	limit = 0
end
local entries = {}
if limit > 0 then
	entries = redis.call('XRANGE', KEYS[2], '(' .. string.format('%d', after) .. '-0', '+', 'COUNT', limit)
end
return {m[1], m[2], oldestID, entries}
`)
