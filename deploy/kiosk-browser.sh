#!/usr/bin/env bash
# Starts Debian's chromium full screen as a Wartemarke screen and starts it
# again whenever it ends (a crash, an update, someone closing it).
#
#   kiosk-browser.sh URL [PAIRING_LINK]      the touchscreen at the entrance
#   display-browser.sh URL [PAIRING_LINK]    the waiting-room TV (same script)
#
# URL is the page the paired screen shows: http://BOX:8080/kiosk or
# http://BOX:8080/display. Give the PAIRING_LINK (wartemarke device add …)
# on the first start only: that start opens it, someone taps "Koppeln" once,
# and the device cookie stays in this screen's browser profile; every later
# start opens URL.
#
# Kiosk: touch, no pinch zoom, no pull-to-refresh or swipe navigation, no
# translate bar, no password or keyring prompts, no crash-restore bubble.
# The context menu of a long press is cancelled by the page itself.
# --kiosk-printing is deliberately NOT used: slips are printed by the
# server, and the browser must never print silently to some printer.
# Display: the same, and sound may play without a tap (the call gong and
# the announcement).
#
# Settings (environment): WARTEMARKE_SCREEN=kiosk|display (default from the
# script's name), WARTEMARKE_BROWSER (default chromium),
# WARTEMARKE_PROFILE (default ~/.config/wartemarke-SCREEN),
# WARTEMARKE_RESTART_DELAY seconds between restarts (default 3).
set -u

url="${1:?usage: $0 URL [PAIRING_LINK]}"
first="${2:-$url}"
screen="${WARTEMARKE_SCREEN:-}"
if [ -z "$screen" ]; then
  case "$(basename "$0")" in display*) screen=display ;; *) screen=kiosk ;; esac
fi
browser="${WARTEMARKE_BROWSER:-chromium}"
profile="${WARTEMARKE_PROFILE:-${XDG_CONFIG_HOME:-$HOME/.config}/wartemarke-$screen}"
delay="${WARTEMARKE_RESTART_DELAY:-3}"
base="$(printf '%s' "$url" | sed -E 's#^([A-Za-z]+://[^/]+).*#\1#')"

flags=(
  --kiosk
  --user-data-dir="$profile"
  --no-first-run
  --noerrdialogs
  --disable-infobars
  --disable-session-crashed-bubble
  --password-store=basic
  --disable-features=Translate,TranslateUI,MediaRouter,HardwareMediaKeyHandling
  --disable-sync
  --disable-component-update
  --check-for-update-interval=31536000
  --overscroll-history-navigation=0
  --pull-to-refresh=0
  --disable-pinch
)
case "$screen" in
  kiosk) flags+=(--touch-events=enabled) ;;
  display) flags+=(--autoplay-policy=no-user-gesture-required) ;;
  *) echo "WARTEMARKE_SCREEN must be kiosk or display" >&2; exit 2 ;;
esac

# The screen stays on: no screen saver, no power saving (X11).
if [ -n "${DISPLAY:-}" ] && command -v xset >/dev/null 2>&1; then
  xset s off s noblank -dpms 2>/dev/null || true
fi

stop=0
trap 'stop=1; kill "${pid:-}" 2>/dev/null' TERM INT

open="$first"
while [ "$stop" = 0 ]; do
  # Wait for the service (after a power cut the box may boot faster than
  # the server): a page that never loaded would show the browser's error.
  if command -v curl >/dev/null 2>&1; then
    until [ "$stop" = 1 ] || curl -fsS -k -o /dev/null --max-time 3 "$base/healthz"; do sleep "$delay"; done
  fi
  [ "$stop" = 1 ] && break
  # After a power cut chromium would offer to restore the last session.
  prefs="$profile/Default/Preferences"
  if [ -f "$prefs" ]; then
    sed -i 's/"exited_cleanly":false/"exited_cleanly":true/; s/"exit_type":"[^"]*"/"exit_type":"Normal"/' "$prefs"
  fi
  echo "wartemarke-$screen: starting $browser at $open" >&2
  "$browser" "${flags[@]}" "$open" &
  pid=$!
  wait "$pid"
  echo "wartemarke-$screen: $browser ended (status $?); starting again in ${delay}s" >&2
  open="$url"
  [ "$stop" = 0 ] && sleep "$delay"
done
