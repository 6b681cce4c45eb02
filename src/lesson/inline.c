// Live numbers in narration ({{EXPRESSION [FORMAT]}}) and facts (@fact EXPRESSION OP VALUE):
// read from the model when a beat is shown, so the narration stays true when the model changes.
#include "stepformer/lesson.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/text.h"

#define VALUE_MAX  128  // bytes of one value as shown
#define EXPR_BYTES 1024 // bytes of an expression

#define CALC_WORDS 160 // words of an arithmetic expression

// An arithmetic expression over live values, being read word by word: with g NULL only its
// syntax is checked.
struct calc {
    char *w[CALC_WORDS];
    int n, at;
    const struct graph *g;
    const struct lesson_worked *wk;       // the worked example in force, or NULL
    const struct lesson_learn_log *learn; // the learn run's record, or NULL
    char *text;                           // a lone live value's text (a word answer passes through)
    size_t tn;
    int numeric, terms; // the value is a number; how many parts were combined
    char *why;
    size_t wn;
};

static int is_op(const char *w)
{
    return strcmp(w, "+") == 0 || strcmp(w, "-") == 0 || strcmp(w, "*") == 0 ||
           strcmp(w, "/") == 0 || strcmp(w, "(") == 0 || strcmp(w, ")") == 0;
}

static int is_func(const char *w)
{
    return strcmp(w, "exp") == 0 || strcmp(w, "ln") == 0 || strcmp(w, "sqrt") == 0 ||
           strcmp(w, "abs") == 0;
}

static int calc_sum(struct calc *c, double *v);

// A live value (the longest run of words that are not operators), a number, a function of a
// factor, or a sum in parentheses.
static int calc_factor(struct calc *c, double *v)
{
    if (c->at >= c->n) {
        snprintf(c->why, c->wn, "the expression ends where a value should come");
        return -1;
    }
    const char *w = c->w[c->at];
    if (strcmp(w, "(") == 0) {
        c->at++, c->terms++;
        if (calc_sum(c, v))
            return -1;
        if (c->at >= c->n || strcmp(c->w[c->at], ")") != 0) {
            snprintf(c->why, c->wn, "a '(' has no ')'");
            return -1;
        }
        c->at++;
        return 0;
    }
    if (is_func(w) && c->at + 1 < c->n) {
        c->at++, c->terms++;
        if (calc_factor(c, v))
            return -1;
        *v = strcmp(w, "exp") == 0    ? exp(*v)
             : strcmp(w, "ln") == 0   ? log(*v)
             : strcmp(w, "sqrt") == 0 ? sqrt(*v)
                                      : fabs(*v);
        return 0;
    }
    if (is_op(w)) {
        snprintf(c->why, c->wn, "'%s' where a value should come", w);
        return -1;
    }
    if (text_parse_double(w, -1e300, 1e300, 0, v) == 0) {
        c->at++, c->numeric = 1;
        return 0;
    }
    char expr[EXPR_BYTES] = "";
    size_t len = 0;
    while (c->at < c->n && !is_op(c->w[c->at]) && len < sizeof expr)
        len +=
            (size_t)snprintf(expr + len, sizeof expr - len, "%s%s", len ? " " : "", c->w[c->at++]);
    if (!c->g && !c->wk) // the syntax only
        return lesson_live_check(expr, c->why, c->wn);
    if (lesson_live_eval_learn(expr, c->g, c->wk, c->learn, c->text, c->tn, v, &c->numeric, c->why,
                               c->wn))
        return -1;
    return 0;
}

static int calc_product(struct calc *c, double *v)
{
    if (calc_factor(c, v))
        return -1;
    while (c->at < c->n && (strcmp(c->w[c->at], "*") == 0 || strcmp(c->w[c->at], "/") == 0)) {
        int times = c->w[c->at++][0] == '*';
        double r;
        c->terms++;
        if (calc_factor(c, &r))
            return -1;
        *v = times ? *v * r : *v / r;
    }
    return 0;
}

static int calc_sum(struct calc *c, double *v)
{
    if (calc_product(c, v))
        return -1;
    while (c->at < c->n && (strcmp(c->w[c->at], "+") == 0 || strcmp(c->w[c->at], "-") == 0)) {
        int plus = c->w[c->at++][0] == '+';
        double r;
        c->terms++;
        if (calc_product(c, &r))
            return -1;
        *v = plus ? *v + r : *v - r;
    }
    return 0;
}

int lesson_calc_eval(const char *expr, const struct graph *g, char *text, size_t tn, double *value,
                     int *numeric, char *why, size_t wn)
{
    return lesson_calc_eval_in(expr, g, NULL, text, tn, value, numeric, why, wn);
}

int lesson_calc_eval_in(const char *expr, const struct graph *g, const struct lesson_worked *wk,
                        char *text, size_t tn, double *value, int *numeric, char *why, size_t wn)
{
    return lesson_calc_eval_learn(expr, g, wk, NULL, text, tn, value, numeric, why, wn);
}

int lesson_calc_eval_learn(const char *expr, const struct graph *g, const struct lesson_worked *wk,
                           const struct lesson_learn_log *learn, char *text, size_t tn,
                           double *value, int *numeric, char *why, size_t wn)
{
    char buf[EXPR_BYTES], tmp[VALUE_MAX];
    struct calc c = {.g = g,
                     .wk = wk,
                     .learn = learn,
                     .text = text ? text : tmp,
                     .tn = text ? tn : sizeof tmp,
                     .why = why,
                     .wn = wn};
    snprintf(buf, sizeof buf, "%s", expr);
    for (char *s = strtok(buf, " \t"); s; s = strtok(NULL, " \t")) {
        if (c.n == CALC_WORDS) {
            snprintf(why, wn, "the expression has more than %d words", CALC_WORDS);
            return -1;
        }
        c.w[c.n++] = s;
    }
    double v = 0;
    c.text[0] = 0;
    if (c.n == 0) {
        snprintf(why, wn, "an empty expression");
        return -1;
    }
    if (calc_sum(&c, &v))
        return -1;
    if (c.at < c.n) {
        snprintf(why, wn, "'%s' where + - * / or the end should come", c.w[c.at]);
        return -1;
    }
    if (!g && !wk)
        return 0;
    if (c.terms == 0 && !c.numeric) { // a word (a token) passes through
        *value = v, *numeric = 0;
        return 0;
    }
    if (c.terms > 0 && !isfinite(v)) {
        snprintf(why, wn, "the value is not a finite number");
        return -1;
    }
    *value = v, *numeric = 1;
    if (c.terms > 0 || !c.text[0])
        text_format(c.text, c.tn, "%.4g", v);
    return 0;
}

int lesson_calc_check(const char *expr, char *why, size_t wn)
{
    double v;
    int numeric;
    return lesson_calc_eval(expr, NULL, NULL, 0, &v, &numeric, why, wn);
}

int lesson_format_check(const char *fmt)
{
    // %[,][.DIGITS](f|g|e)[%]: a number, with "," its thousands separated ("113,664"), or with
    // a final % a percentage (the value times 100).
    if (!fmt || fmt[0] != '%')
        return -1;
    const char *s = fmt + 1;
    if (*s == ',')
        s++;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return -1;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s != 'f' && *s != 'g' && *s != 'e')
        return -1;
    s++;
    if (*s == '%')
        s++;
    return *s ? -1 : 0;
}

// Prints v with fmt (checked); a percentage is v × 100 followed by "%"; no negative zero.
static void format_number(const char *fmt, double v, char *out, size_t n)
{
    char f[16];
    int comma = fmt[1] == ',';
    size_t len = strlen(fmt);
    int pct = len > 2 && fmt[len - 1] == '%';
    snprintf(f, sizeof f, "%%%.*s", (int)((pct ? len - 1 : len) - 1 - comma), fmt + 1 + comma);
    char num[VALUE_MAX];
    text_format(num, sizeof num, f, pct ? 100 * v : v);
    if (comma) { // a comma between each group of three digits of the whole part
        char grouped[VALUE_MAX];
        size_t start = num[0] == '-', digits = strspn(num + start, "0123456789"), k = 0;
        for (size_t i = 0; i < strlen(num) && k + 2 < sizeof grouped; i++) {
            size_t d = i - start; // digits written of the whole part
            if (i > start && i < start + digits && (digits - d) % 3 == 0)
                grouped[k++] = ',';
            grouped[k++] = num[i];
        }
        grouped[k] = 0;
        snprintf(num, sizeof num, "%s", grouped);
    }
    // "-0.00" is the same number as "0.00": the screen never shows a negative zero.
    int zero = num[0] == '-';
    for (const char *c = num + 1; zero && *c && *c != 'e'; c++)
        zero = *c == '0' || *c == '.';
    snprintf(out, n, "%s%s", zero ? num + 1 : num, pct ? "%" : "");
}

int lesson_inline_format(const struct lesson_live *v, const struct graph *g, char *out, size_t n,
                         char *why, size_t wn)
{
    double value;
    int numeric;
    char text[VALUE_MAX];
    if (lesson_calc_eval_learn(v->expr, g, v->worked, v->learn, text, sizeof text, &value, &numeric,
                               why, wn)) {
        snprintf(out, n, "?");
        return -1;
    }
    if (v->fmt && !numeric) {
        snprintf(why, wn, "'%s' is the word '%s', not a number for the format %s", v->expr, text,
                 v->fmt);
        snprintf(out, n, "%s", text);
        return -1;
    }
    if (v->fmt)
        format_number(v->fmt, value, out, n);
    else
        snprintf(out, n, "%s", text);
    return 0;
}

int lesson_fact_holds(const struct lesson_live *f, const struct graph *g, char *why, size_t wn)
{
    double value, want;
    int numeric;
    char text[VALUE_MAX];
    if (lesson_calc_eval_learn(f->expr, g, f->worked, f->learn, text, sizeof text, &value, &numeric,
                               why, wn))
        return -1;
    int is_num =
        numeric && text_parse_double(f->want, -1e300, 1e300,
                                     TEXT_NUM_SPACE_BEFORE | TEXT_NUM_SPACE_AFTER, &want) == 0;
    int eq;
    if (is_num) {
        eq = fabs(value - want) <= fmax(0.02 * fabs(want), 0.001);
    } else {
        // Words compare as typed answers do: ignoring case, spaces and quotes.
        char *answers[1] = {f->want};
        struct lesson_question q = {
            .correct = -1, .answers = answers, .n_answers = 1, .tolerance = -1};
        eq = lesson_answer_matches(&q, text, NULL, 0, 0);
    }
    int holds;
    const char *c = f->cmp;
    if (strcmp(c, "=") == 0 || strcmp(c, "!=") == 0) {
        holds = strcmp(c, "=") == 0 ? eq : !eq;
    } else if (!is_num) {
        snprintf(why, wn, "'%s' is '%s': < and > compare numbers", f->expr, text);
        return -1;
    } else {
        holds = strcmp(c, "<") == 0    ? value < want
                : strcmp(c, ">") == 0  ? value > want
                : strcmp(c, "<=") == 0 ? value <= want || eq
                                       : value >= want || eq;
    }
    if (!holds)
        snprintf(why, wn, "the model has %s = %s", f->expr, text);
    return holds;
}

char *lesson_beat_expand(const struct lesson_beat *b, const struct graph *g, struct lesson_diags *d)
{
    const char *s = b->text ? b->text : "";
    size_t cap = strlen(s) + 1, n = 0;
    char *out = malloc(cap);
    int k = 0; // the next inline value
    char why[LESSON_MSG_MAX], val[VALUE_MAX];
    while (out && *s) {
        const char *open = strstr(s, "{{"), *close = open ? strstr(open + 2, "}}") : NULL;
        size_t plain = close ? (size_t)(open - s) : strlen(s);
        while (k < b->n_lives && b->lives[k].want)
            k++;
        val[0] = 0;
        if (close) {
            if (k < b->n_lives) {
                const struct lesson_live *v = &b->lives[k++];
                if (lesson_inline_format(v, g, val, sizeof val, why, sizeof why))
                    lesson_diag_add(d, 1, v->line, v->col, "{{%s}}: %s", v->expr, why);
            } else {
                snprintf(val, sizeof val, "?");
            }
        }
        size_t need = n + plain + strlen(val) + 1;
        if (need > cap) {
            char *grown = realloc(out, need + cap);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown, cap = need + cap;
        }
        memcpy(out + n, s, plain);
        n += plain;
        memcpy(out + n, val, strlen(val));
        n += strlen(val);
        s += plain + (close ? (size_t)(close + 2 - open) : 0);
    }
    if (!out)
        return NULL;
    out[n] = 0;
    return out;
}

int lesson_beat_facts(const struct lesson_beat *b, const struct graph *g, struct lesson_diags *d)
{
    char why[LESSON_MSG_MAX];
    int failed = 0;
    for (int i = 0; i < b->n_lives; i++) {
        const struct lesson_live *f = &b->lives[i];
        if (!f->want)
            continue;
        int r = lesson_fact_holds(f, g, why, sizeof why);
        if (r < 0)
            lesson_diag_add(d, 1, f->line, f->col, "@fact %s: %s", f->expr, why);
        else if (r == 0)
            lesson_diag_add(d, 1, f->line, f->col, "@fact %s %s %s is false: %s", f->expr, f->cmp,
                            f->want, why);
        failed += r != 1;
    }
    return failed;
}
