// The terminal: the only module that includes curses. It sets the terminal up, feeds keys,
// clicks and resizes to the app, presents the app's screen, and always restores the terminal
// (on quit, Ctrl-C, a hang-up and crash signals).
#ifndef STEPFORMER_TUI_H
#define STEPFORMER_TUI_H

#include <stdio.h>

#include "stepformer/app.h"

// Runs the app until it quits, on the terminal of stdin and stdout (the caller checks that
// they are one); returns the exit status (0; 2 when the screen cannot be
// drawn for want of memory; or 128 + a signal's number).
int tui_run(struct app *a, FILE *err);

#endif
