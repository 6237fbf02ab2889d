#!/usr/bin/env bash
# Starts chromium full screen as the waiting-room display and restarts it
# when it ends: kiosk-browser.sh with WARTEMARKE_SCREEN=display (sound may
# play without a tap). Install both scripts side by side.
#
#   display-browser.sh http://BOX:8080/display [PAIRING_LINK]
WARTEMARKE_SCREEN=display exec "$(dirname "$(readlink -f "$0")")/kiosk-browser.sh" "$@"
