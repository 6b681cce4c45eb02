// The textbook corpus generator: a small grammar, seeded choices, and a held-out split by
// noun pairs.
#include "stepformer/corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/fileio.h"
#include "stepformer/rng.h"

// Agreement: "the SUBJECT PREP the ATTRACTOR is|are PREDICATE ." (J&M 9.1: "the keys to the
// cabinet are on the table").
static const char *const subjects[][2] = {
    {"key", "keys"},     {"book", "books"},       {"letter", "letters"}, {"dog", "dogs"},
    {"cat", "cats"},     {"chair", "chairs"},     {"box", "boxes"},      {"cup", "cups"},
    {"coin", "coins"},   {"picture", "pictures"}, {"bottle", "bottles"}, {"lamp", "lamps"},
    {"apple", "apples"}, {"shoe", "shoes"},       {"pen", "pens"},       {"flower", "flowers"},
};
static const char *const attractors[][2] = {
    {"cabinet", "cabinets"}, {"table", "tables"},   {"door", "doors"},     {"house", "houses"},
    {"garden", "gardens"},   {"window", "windows"}, {"drawer", "drawers"}, {"shelf", "shelves"},
    {"room", "rooms"},       {"car", "cars"},       {"tree", "trees"},     {"wall", "walls"},
};
static const char *const preps[] = {"to", "near",   "behind", "under",
                                    "by", "beside", "above",  "inside"};
static const char *const predicates[] = {"on the table", "in the kitchen", "old",        "new",
                                         "red",          "here",           "over there", "broken",
                                         "clean",        "on the floor"};

// Pronouns: "the ANIMAL didn't cross the OBSTACLE because it was too ADJ . the X was ADJ ."
// where X is the animal for an animal's adjective and the obstacle for an obstacle's
// (J&M 9.1: "because it was too tired / too wide").
static const char *const animals[] = {"chicken", "dog", "cat",   "horse", "goat",
                                      "duck",    "cow", "sheep", "fox",   "rabbit"};
static const char *const obstacles[] = {"road",  "river",   "street", "bridge",
                                        "field", "highway", "stream", "path"};
static const char *const animal_adjs[] = {"tired", "scared", "lazy", "slow", "weak", "sleepy"};
static const char *const obstacle_adjs[] = {"wide", "busy", "long", "deep", "muddy", "crowded"};

// Word sense and the chapter's other sentences.
static const char *const fixed[] = {
    "so long and thanks for all the fish .",
    "thanks for all the fish .",
    "janet will back the bill .",
    "i walked along the pond , and noticed one of the trees along the bank .",
    "i walked along the river and sat on the bank .",
    "the ducks swam to the bank of the pond .",
    "i went to the bank to deposit my money .",
    "the bank gave janet a loan .",
    "janet took the money out of the bank .",
    "the bill was paid at the bank .",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define N_SUBJ   COUNT(subjects)
#define N_ATTR   COUNT(attractors)
#define N_ANIM   COUNT(animals)
#define N_OBST   COUNT(obstacles)

struct gen {
    struct rng rng;
    unsigned char heldout_agree[N_SUBJ][N_ATTR]; // 1: the pair appears only in held-out text
    unsigned char heldout_pron[N_ANIM][N_OBST];
};

static int pick(struct gen *g, int n)
{
    return (int)(rng_u64(&g->rng) % (uint64_t)n);
}

// Holds out about one pair in five, but never the chapter's own examples.
static void choose_heldout(struct gen *g)
{
    for (size_t s = 0; s < N_SUBJ; s++)
        for (size_t a = 0; a < N_ATTR; a++)
            g->heldout_agree[s][a] = pick(g, 5) == 0 && !(s == 0 && a == 0);
    for (size_t an = 0; an < N_ANIM; an++)
        for (size_t o = 0; o < N_OBST; o++)
            g->heldout_pron[an][o] = pick(g, 5) == 0 && !(an == 0 && o == 0);
}

// One agreement sentence with a pair from the wanted split; item gets the test item.
static void agreement(struct gen *g, int heldout, FILE *text, FILE *items)
{
    int s, a;
    do {
        s = pick(g, N_SUBJ);
        a = pick(g, N_ATTR);
    } while (g->heldout_agree[s][a] != heldout);
    int sp = pick(g, 2), ap = pick(g, 2);
    const char *prep = preps[pick(g, COUNT(preps))], *verb = sp ? "are" : "is";
    fprintf(text, "the %s %s the %s %s %s .\n", subjects[s][sp], prep, attractors[a][ap], verb,
            predicates[pick(g, COUNT(predicates))]);
    if (items)
        fprintf(items, "agreement\tthe %s %s the %s\t%s\t%s\t1\n", subjects[s][sp], prep,
                attractors[a][ap], verb, sp ? "is" : "are");
}

static void pronoun(struct gen *g, int heldout, FILE *text, FILE *items)
{
    int an, o;
    do {
        an = pick(g, N_ANIM);
        o = pick(g, N_OBST);
    } while (g->heldout_pron[an][o] != heldout);
    int about_animal = pick(g, 2);
    const char *adj = about_animal ? animal_adjs[pick(g, COUNT(animal_adjs))]
                                   : obstacle_adjs[pick(g, COUNT(obstacle_adjs))];
    const char *right = about_animal ? animals[an] : obstacles[o];
    const char *wrong = about_animal ? obstacles[o] : animals[an];
    fprintf(text, "the %s didn't cross the %s because it was too %s . the %s was %s .\n",
            animals[an], obstacles[o], adj, right, adj);
    // tokens: the ANIMAL didn't cross the OBSTACLE ...: the animal is 1, the obstacle 5
    if (items)
        fprintf(items,
                "pronoun\tthe %s didn't cross the %s because it was too %s . the\t%s\t%s\t%d\n",
                animals[an], obstacles[o], adj, right, wrong, about_animal ? 1 : 5);
}

// Writes n sentences of the given split; items (may be NULL) gets the test items.
static void sentences(struct gen *g, int n, int heldout, FILE *text, FILE *items)
{
    for (int i = 0; i < n; i++) {
        int r = pick(g, 100);
        if (r < 45)
            agreement(g, heldout, text, items);
        else if (r < 80)
            pronoun(g, heldout, text, items);
        else
            fprintf(text, "%s\n", fixed[pick(g, COUNT(fixed))]);
    }
}

struct buffer {
    char *data;
    size_t len;
};

static int write_buffer(FILE *f, const void *ctx)
{
    const struct buffer *b = ctx;
    return fwrite(b->data, 1, b->len, f) == b->len ? SF_OK : SF_ERR_IO;
}

int corpus_generate_text(const struct corpus_options *o, struct corpus_text *out, struct sf_diag *d)
{
    memset(out, 0, sizeof *out);
    if (o->sentences < 1 || o->heldout < 1)
        return sf_diag_set(d, SF_ERR_RANGE, NULL, 0, 0,
                           "give at least one training and one held-out sentence");
    struct gen *g = calloc(1, sizeof *g);
    if (!g)
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    rng_seed(&g->rng, o->seed);
    choose_heldout(g);
    FILE *ft = open_memstream(&out->train, &out->train_len);
    FILE *fv = open_memstream(&out->valid, &out->valid_len);
    FILE *fi = open_memstream(&out->items, &out->items_len);
    int rc = (ft && fv && fi) ? SF_OK : sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    if (!rc) {
        sentences(g, o->sentences, 0, ft, NULL);
        sentences(g, o->heldout, 1, fv, fi);
    }
    if (ft)
        fclose(ft);
    if (fv)
        fclose(fv);
    if (fi)
        fclose(fi);
    free(g);
    if (rc || !out->train || !out->valid || !out->items) {
        corpus_text_free(out);
        return rc ? rc : sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    return SF_OK;
}

void corpus_text_free(struct corpus_text *t)
{
    free(t->train);
    free(t->valid);
    free(t->items);
    memset(t, 0, sizeof *t);
}

int corpus_generate(const char *dir, const struct corpus_options *o, struct sf_diag *d)
{
    struct corpus_text t;
    int rc = corpus_generate_text(o, &t, d);
    if (rc) {
        if (d && !d->file[0])
            snprintf(d->file, sizeof d->file, "%s", dir);
        return rc;
    }
    struct buffer train = {t.train, t.train_len}, valid = {t.valid, t.valid_len},
                  items = {t.items, t.items_len};
    const struct {
        const char *name;
        struct buffer *b;
    } files[] = {{"train.txt", &train}, {"valid.txt", &valid}, {"items.tsv", &items}};
    for (size_t k = 0; k < COUNT(files) && !rc; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, files[k].name);
        rc = sf_write_atomic(path, write_buffer, files[k].b, d);
    }
    corpus_text_free(&t);
    return rc;
}
