// The line editor of every input line (goto, the prompt, a value in the sampling box, a
// lesson's answer): UTF-8 text with a cursor, edited by the typing commands of the key table.
// A character is a whole UTF-8 sequence, or one byte of text that is not UTF-8 (a prompt
// decoded from byte-level pieces can hold such bytes), or a sequence that the text cuts short
// at its end; the cursor moves and deletes whole characters.
#ifndef STEPFORMER_LINE_EDIT_H
#define STEPFORMER_LINE_EDIT_H

#include <stddef.h>

#include "stepformer/keymap.h"

#define LINE_EDIT_SIZE 1024 // bytes, the terminating NUL included

struct line_edit {
    char text[LINE_EDIT_SIZE]; // NUL-terminated
    int len;                   // bytes in text
    int cursor;                // byte offset of the cursor (0 .. len), at a character's start
};

// What line_edit_insert did.
enum line_edit_result {
    LINE_EDIT_FULL = -1,    // no room: the line keeps whole characters, so nothing was added
    LINE_EDIT_REFUSED = 0,  // not a character (a control, a surrogate, beyond U+10FFFF)
    LINE_EDIT_INSERTED = 1, // added at the cursor, which is now after it
};

// An empty line.
void line_edit_clear(struct line_edit *e);
// The line becomes text, byte for byte (cut between characters when it is longer than the
// line), the cursor at its end.
void line_edit_set(struct line_edit *e, const char *text);
// Types code point cp at the cursor (as UTF-8).
enum line_edit_result line_edit_insert(struct line_edit *e, int cp);
// Moves the cursor or deletes, for the commands LEFT .. KILL_END; ACCEPT, CANCEL and COMPLETE
// are the caller's and change nothing here. Returns 1 when the text or the cursor changed.
int line_edit_apply(struct line_edit *e, enum sf_edit cmd);
// The characters of the line, and those before the cursor.
int line_edit_chars(const struct line_edit *e);
int line_edit_cursor_chars(const struct line_edit *e);

// What the line shows in `cols` columns (at least 3): the characters around the cursor and,
// when the cursor is at the end, a "_" cell for it after the text. When the line is longer,
// "…" stands for the characters cut at either end: the end of the line shows while the cursor
// is near it (so typing shows the end, as before), else the part around the cursor. buf gets
// the text (NUL-terminated, cut between characters if size is short); *cursor_col gets the
// column of the cursor cell. Returns the columns used.
int line_edit_view(const struct line_edit *e, int cols, char *buf, size_t size, int *cursor_col);

#endif
