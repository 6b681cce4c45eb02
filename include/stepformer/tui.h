// The terminal: the only module that includes curses. It sets the terminal up, feeds keys,
// clicks and resizes to the app, presents the app's screen, and always restores the terminal
// (on quit, Ctrl-C, a hang-up and crash signals).
#ifndef STEPFORMER_TUI_H
#define STEPFORMER_TUI_H

#include <stdio.h>

#include "stepformer/app.h"
#include "stepformer/asciicast.h"

// Runs the app until it quits, on the terminal of stdin and stdout (the caller checks that
// they are one); returns the exit status (0; 2 when the screen cannot be
// drawn for want of memory; or 128 + a signal's number).
//
// When cast is not NULL (asciicast_begin has made its file) the session is recorded into it:
// the header (the terminal's size, TERM, SHELL and title) when the screen comes up, then the
// bytes the terminal is sent for each frame, from setting it up to restoring it, and its
// resizes. The caller ends the recording (asciicast_end) once tui_run has returned, on every
// way out: q, Ctrl-C, SIGTERM, SIGHUP, or a failure of the screen.
int tui_run(struct app *a, struct asciicast *cast, const char *title, FILE *err);

#endif
