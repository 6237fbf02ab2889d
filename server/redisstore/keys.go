package redisstore

import (
	"errors"
	"regexp"
	"strings"

	"github.com/redis/go-redis/v9"
)

// keys names every Redis key of one site. All of them start with
// "wm:{site}:", so the hash tag {site} puts a whole site into one slot of a
// Redis Cluster: every script and transaction touches one slot only.
type keys struct {
	// base is "wm:{site}:"; the scripts build ticket keys from it.
	base string
}

func newKeys(site string) keys { return keys{base: "wm:{" + site + "}:"} }

// seq is the counter of the event log: the seq of the newest event.
func (k keys) seq() string { return k.base + "seq" }

// events is the stream of events; entry IDs are "<seq>-0".
func (k keys) events() string { return k.base + "events" }

// openDays is a sorted set (all scores 0, ordered by name) of the service
// days that may still have open tickets: the daily expiry looks here.
func (k keys) openDays() string { return k.base + "opendays" }

// ticket is the hash holding one ticket.
func (k keys) ticket(id string) string { return k.base + "ticket:" + id }

// number is the counter of a line's numbers on a day.
func (k keys) number(day, line string) string { return k.base + "num:" + day + ":" + line }

// open is the sorted set of a day's waiting and called tickets by place.
func (k keys) open(day string) string { return k.base + "open:" + day }

// waiting is the sorted set of a line's waiting tickets of a day by place.
func (k keys) waiting(day, line string) string { return k.base + "waiting:" + day + ":" + line }

// called is the sorted set of the tickets called at a desk on a day by
// place (one at most, as Next finishes the desk's call first).
func (k keys) called(day, desk string) string { return k.base + "called:" + day + ":" + desk }

// calls is the sorted set of a day's tickets that have been called, by the
// time of their latest call: the display's recent calls.
func (k keys) calls(day string) string { return k.base + "calls:" + day }

// served is the sorted set of a day's finished consultations (done after a
// call), by the time they ended: the waiting-time estimate's samples.
func (k keys) served(day string) string { return k.base + "served:" + day }

// desks is the hash of a day's desk states: label -> the queue.DeskState
// as JSON. A new day has a new key, so every desk starts closed.
func (k keys) desks(day string) string { return k.base + "desks:" + day }

// idem is one Idempotency-Key: the string "<body hash> <ticket id> <time>".
// The previous version kept a hash (fields hash, ticket, at), which the
// draw script still reads.
func (k keys) idem(key string) string { return k.base + "idem:" + key }

// days is a sorted set (all scores 0, ordered by name) of the service days
// that hold tickets or desk states: retirement looks here.
func (k keys) days() string { return k.base + "days" }

// dayTickets is the hash of a day's tickets: ticket id -> the key of its
// Idempotency-Key ("" for none), so that retirement finds both.
func (k keys) dayTickets(day string) string { return k.base + "tickets:" + day }

// stats is the hash of a retired day's aggregates: "<line>:<hour>" -> the
// queue.Aggregate as JSON.
func (k keys) stats(day string) string { return k.base + "stats:" + day }

// turnedAway is the hash of a day's turn-away counts: "<line>:<hour>" ->
// count.
func (k keys) turnedAway(day string) string { return k.base + "turnedaway:" + day }

// statDays is a sorted set (all scores 0, ordered by name) of the days
// with stored aggregates or turn-away counts.
func (k keys) statDays() string { return k.base + "statdays" }

// dayIndexed marks that every ticket is in its day's tickets hash: tickets
// drawn before the hash existed are added once (see indexDays).
func (k keys) dayIndexed() string { return k.base + "dayindex" }

// siteRE is what a site name may be: it sits inside the hash tag, so it
// must not hold braces, and a colon would blur the key layout.
var siteRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidSite reports whether name can name a site.
func ValidSite(name string) bool { return siteRE.MatchString(name) }

// CheckURL tells whether url is a Redis URL that Open accepts, without
// connecting. Its error never repeats the URL, which may hold a password.
func CheckURL(url string) error {
	if _, err := redis.ParseURL(url); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "redis: "))
	}
	return nil
}
