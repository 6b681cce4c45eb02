// Tokenizers: pieces (byte strings) by id, encoding text to ids and decoding ids to text.
// Kinds: character-level, word-level and GPT-2 byte-level BPE (merges ranked by merges.txt, or,
// from llm.c's tokenizer file which has no merges, ranked by the id of the merged piece).
#ifndef STEPFORMER_TOKENIZER_H
#define STEPFORMER_TOKENIZER_H

#include <stddef.h>

#include "stepformer/err.h"

enum tok_kind {
    TOK_NONE = 0, // no tokenizer: only ids are accepted, pieces print as <id>
    TOK_CHAR = 1, // one piece per UTF-8 character
    TOK_WORD = 2, // words and punctuation, separated by spaces
    TOK_BPE = 3,  // GPT-2 byte-level BPE
};

// Largest piece count a tokenizer file may claim.
#define SF_MAX_TOKENIZER_PIECES 1048576

struct tok_index;

struct tokenizer {
    enum tok_kind kind;
    int n;                   // number of pieces
    char **pieces;           // n NUL-terminated byte strings (BPE pieces are raw bytes)
    int *lens;               // their lengths in bytes
    int unk_id;              // -1 when none
    int eot_id;              // -1 when none
    int n_merges;            // BPE merges in rank order; 0: a pair's rank is its merged piece's id
    int *merges;             // (n_merges, 2) ids: merge r joins pieces merges[2r] and merges[2r+1]
    struct tok_index *index; // built on demand for encoding
};

// Takes ownership of nothing: copies the n pieces. Returns 0 or SF_ERR_NOMEM.
int tokenizer_init(struct tokenizer *t, enum tok_kind kind, int n, const char *const *pieces,
                   const int *lens);
void tokenizer_free(struct tokenizer *t);
// Sets a BPE tokenizer's merges, ranked in the order given: pairs holds n pairs of ids (copied).
// Each pair's concatenation must be a piece, else SF_ERR_FORMAT naming the merge in d.
int tokenizer_set_merges(struct tokenizer *t, int n, const int *pairs, struct sf_diag *d);
// 1 when the merges make their pieces in increasing id order (GPT-2's: merge r makes piece
// 256 + r), so ranking a pair by its merged piece's id, as a tokenizer file without merges
// does, keeps their order; 1 too when there are no merges, 0 otherwise.
int tokenizer_merges_follow_ids(const struct tokenizer *t);
// The id of the piece s[0..len), or -1.
int tokenizer_find(struct tokenizer *t, const char *s, size_t len);
// Reads llm.c's tokenizer file (magic 20240328, version 1 or 2; version 2 records the
// end-of-text id). On error fills d with the file and what is wrong.
int tokenizer_load_llmc(struct tokenizer *t, const char *path, struct sf_diag *d);
// Hugging Face / OpenAI GPT-2 tokenizer files (src/model/tokenizer_hf.c). Pieces are spelled
// with GPT-2's byte-to-character map (bytes_to_unicode) and stored as raw bytes; the piece
// "<|endoftext|>" becomes eot_id. On error d names the file, the line (and column for JSON
// syntax) and the problem; the status is SF_ERR_IO, SF_ERR_FORMAT or SF_ERR_NOMEM.
// vocab.json (piece -> id, ids 0..n-1) with merges.txt ("#version" line, then "a b" per merge).
int tokenizer_load_vocab_merges(struct tokenizer *t, const char *vocab_json, const char *merges_txt,
                                struct sf_diag *d);
// tokenizer.json: model.vocab and model.merges ("a b" strings or ["a", "b"] pairs).
int tokenizer_load_hf_json(struct tokenizer *t, const char *path, struct sf_diag *d);
// A folder: vocab.json + merges.txt when both are there, else tokenizer.json. SF_ERR_NOTFOUND
// (d says so) when the folder has none of them; one of vocab.json and merges.txt without the
// other and no tokenizer.json is SF_ERR_FORMAT; a path that is not a folder is SF_ERR_IO.
int tokenizer_load_hf_dir(struct tokenizer *t, const char *dir, struct sf_diag *d);
// Encodes text into at most max ids; *n_out gets the count. Unknown characters or words map
// to unk_id when there is one; otherwise SF_ERR_TOKEN naming the piece (column in d->col).
// BPE splits text as GPT-2 does (OpenAI's encoder.py pattern, Unicode letters and numbers by
// PCRE2, white space as Python's regex module's \s), then merges bytes pair by pair. Bytes that
// are not UTF-8 (which OpenAI's encoder, working on Python str, never sees) are not an error:
// each run of them is a chunk of its own, merged like any other.
int tokenizer_encode(struct tokenizer *t, const char *text, int *ids, int max, int *n_out,
                     struct sf_diag *d);
// 1 when text for this tokenizer is lower-cased before it is encoded: a word or character
// vocabulary with no capital letter (A-Z, or a Latin-1 capital À-Þ) in any piece, so "The" would
// otherwise be unknown. 0 for BPE (GPT-2 has capitals) and when there is no tokenizer.
int tokenizer_lowercase_only(const struct tokenizer *t);
// Lower-cases the capitals tokenizer_lowercase_only looks for, in place (each keeps its byte
// length). Returns how many were changed.
int tokenizer_lowercase(char *text);
// How many of those capitals text has.
int tokenizer_capitals(const char *text);
// Finds the next character (TOK_CHAR) or word or punctuation mark (TOK_WORD, skipping
// whitespace) of text after byte *end; sets [*start, *end) and returns 1, or 0 at the end.
// Start with *end = 0.
int tokenizer_next_piece(enum tok_kind kind, const char *text, size_t *start, size_t *end);
// Writes the text of ids into buf (NUL-terminated, cut to fit): word pieces joined by
// spaces, character and BPE pieces joined as they are; ids without a piece as "<id>".
// Returns the length written.
size_t tokenizer_decode(const struct tokenizer *t, const int *ids, int n, char *buf, size_t size);
// The piece for id as bytes (not NUL-safe for BPE), or NULL when id is out of range.
const char *tokenizer_piece(const struct tokenizer *t, int id, int *len);
// Writes a printable form of id's piece into buf: escaped by utf8_escape on one line, so a
// model's vocabulary cannot drive the terminal ("<id>" when there is no tokenizer).
const char *tokenizer_piece_str(const struct tokenizer *t, int id, char *buf, size_t size);

#endif
