// The subcommands behind the command line. Each takes the arguments after its name, writes
// to the given streams and returns the exit status (0 ok, 2 on any error: bad usage or input,
// a file that cannot be read or written, out of memory); none of them exits, so the tests
// call them directly.
#ifndef STEPFORMER_CLI_H
#define STEPFORMER_CLI_H

#include <signal.h>
#include <stdio.h>

#include "stepformer/model.h"
#include "stepformer/ops.h"

// `stepformer trace`: run the op graph and list nodes, print or dump their outputs.
int cmd_trace(int argc, char **argv, FILE *out, FILE *err);
// `stepformer train`: training with progress and resumable checkpoints. It stops cleanly
// once *stop becomes nonzero (main sets it to the signal's number on Ctrl-C, SIGTERM and
// SIGHUP): it saves a checkpoint if this run made a step, and returns 128 + the signal.
int cmd_train(int argc, char **argv, FILE *out, FILE *err, const volatile sig_atomic_t *stop);
// `stepformer corpus`: writes the textbook corpus, held-out text and test items.
int cmd_corpus(int argc, char **argv, FILE *out, FILE *err);
// `stepformer eval`: loss, perplexity and item accuracy of a model.
int cmd_eval(int argc, char **argv, FILE *out, FILE *err);
// `stepformer generate`: a continuation by greedy decoding, sampling or beam search. Greedy and
// sampled tokens are printed as they are drawn; once *stop becomes nonzero (main sets it on
// Ctrl-C, SIGTERM and SIGHUP; NULL: never) it stops after the token being made, ends the line
// (beam search prints its best beams so far) and returns 130.
int cmd_generate(int argc, char **argv, FILE *out, FILE *err, const volatile sig_atomic_t *stop);
// `stepformer check`: lints lesson scripts (file:line:col: message), running each on its model.
int cmd_check(int argc, char **argv, FILE *out, FILE *err);
// `stepformer lessons`: the lessons with the progress kept between runs.
int cmd_lessons(int argc, char **argv, FILE *out, FILE *err);
// `stepformer lesson --help`: what lesson mode takes (the screen itself is opened by main).
extern const char cli_lesson_usage[];
// `stepformer convert`: writes a model that --model opens as a stepformer model or an llm.c
// checkpoint with its tokenizer beside it.
int cmd_convert(int argc, char **argv, FILE *out, FILE *err);
// `stepformer screenshot`: a screen drawn without a terminal, written as SVG, ANSI or text.
int cmd_screenshot(int argc, char **argv, FILE *out, FILE *err);
// `stepformer bench`: timings of the hot paths.
int cmd_bench(int argc, char **argv, FILE *out, FILE *err);

// Shared option handling. If argv[*i] is `name` (a flag), returns 1. For options that take
// a value (`--name VALUE` or `--name=VALUE`) sets *value, advancing *i past it, and returns
// 1; returns -1 when the value is missing. Returns 0 when argv[*i] is something else.
int cli_flag(char **argv, int i, const char *name);
int cli_value(int argc, char **argv, int *i, const char *name, const char **value);
// Takes every `name VALUE` (or `name=VALUE`) out of argv[0..*argc), for an option that a
// command's own parser does not read: *value gets the last VALUE, *argc the number of words
// left. -1 when name ends the line without a value (it is taken out too), else 0.
int cli_take_value(int *argc, char **argv, const char *name, const char **value);
// Parses a whole decimal number into *out; 0 or -1 when s is not one inside [lo, hi].
int cli_parse_int(const char *s, long lo, long hi, long *out);
// Reports a word on the command line that command `cmd` (NULL: the step-through screen) does
// not take, and returns 2. A word starting with '-' is an unknown option and gets the nearest
// option named in the command's usage text ("did you mean --help?"); any other word is
// unexpected. Both messages point at `stepformer CMD --help`.
int cli_unknown_option(FILE *err, const char *cmd, const char *arg, const char *usage);
// Reports a whole number out of its range, naming the range ("--beam '0': must be a whole
// number 1–64"), and returns 2. cmd is the command's name, or NULL for the screen's options.
int cli_bad_int(FILE *err, const char *cmd, const char *name, const char *value, long lo, long hi);
// Parses --impl's value: "fast" (BLAS and vectorised loops) or "ref" (the reference loops,
// whose digits do not depend on the CPU or the BLAS kernel); -1 for anything else.
int cli_parse_impl(const char *s, enum op_impl *out);
// The colour scheme asked for: --palette's value v, or without one (v NULL) $STEPFORMER_PALETTE.
// Returns 1 + enum palette_scheme, 0 when neither is set (the terminal decides), or -1 when the
// name is none of light, dark, 8, mono (*name then points at it).
int cli_palette(const char *v, const char **name);
// The helpers below fill a diagnostic d instead of printing: the command line prints it with
// cli_print_diag, the screen shows it on its message line.
//
// Loads the model named by path (or $STEPFORMER_MODEL, or the shipped default when NULL) and,
// if tokenizer_path is set, that llm.c tokenizer file; a model without a tokenizer picks up
// the one beside it: its own (dir/my.bin: dir/my_tokenizer.bin, as convert writes it), else
// gpt2_tokenizer.bin from its directory, as llm.c lays the files out.
int cli_load_model(struct model *m, const char *path, const char *tokenizer_path,
                   struct sf_diag *d);
// Parses comma-separated ids ("3,1,4") into a malloc'd array; `what` names the option in the
// message for an item that is not an integer.
int cli_parse_ids(const char *what, const char *s, int **ids, int *n, struct sf_diag *d);
// Turns --ids "3,1,4" or --prompt TEXT into a malloc'd id array (range and length are checked
// when the graph is built); d names the bad item on failure.
int cli_input(struct model *m, const char *ids_arg, const char *prompt, int **ids, int *n,
              struct sf_diag *d);
// The words of a prompt (encoded by cli_input into ids) that the model reads as its unknown
// token, one per call: 1 with *note saying which, 0 when there are no more. *at starts zeroed.
struct cli_unknown {
    size_t a, b; // the piece last read
    int i;       // its token index
};
int cli_next_unknown(const struct model *m, const char *prompt, const int *ids, int n,
                     struct cli_unknown *at, struct sf_diag *note);
// 1 when cli_input reads prompt lower-cased: the model's vocabulary has no capitals
// (tokenizer_lowercase_only) and the prompt has some. The note that says so:
#define CLI_LOWERCASED_NOTE "input lower-cased: the model's vocabulary has no capitals"
int cli_input_lowercased(const struct model *m, const char *prompt);
// Every word of prompt read as the unknown token, as typed, with its position, into buf:
// "'tablet' (1), 'zzz' (3)" (", … and 4 more" for those that do not fit). Returns how many.
int cli_unknown_list(const struct model *m, const char *prompt, const int *ids, int n, char *buf,
                     size_t size);
// cli_input and cli_load_model for the command line: a failure printed to err with
// cli_print_diag, and after cli_input a note when the input was lower-cased and one for each
// word read as the unknown token.
int cli_input_print(struct model *m, const char *ids_arg, const char *prompt, int **ids, int *n,
                    FILE *err);
int cli_load_model_print(struct model *m, const char *path, const char *tokenizer_path, FILE *err);
// Prints d as "stepformer: WHAT: file:line:col: message" (no "WHAT: " when what is NULL) on one
// line, escaped by utf8_safe: a message can name a file or quote text read from one.
void cli_print_diag(FILE *err, const char *what, const struct sf_diag *d);

#endif
