// The curses backend: terminal setup and restore, colours, input, presenting the cell grid.
#define _XOPEN_SOURCE_EXTENDED 1
#include "stepformer/tui.h"
#include "stepformer/clock.h"
#include "stepformer/export.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

static volatile sig_atomic_t stop_signal; // SIGINT, SIGTERM, SIGHUP: quit cleanly
static int curses_up;
static SCREEN *live_screen; // the terminal's screen (a recording has a second one)

static void on_stop(int sig)
{
    stop_signal = sig;
}

// A crash: give the terminal back, then die of the same signal.
static void on_crash(int sig)
{
    if (curses_up) {
        set_term(live_screen);
        endwin();
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void restore_at_exit(void)
{
    if (curses_up) {
        set_term(live_screen);
        endwin();
        curses_up = 0;
    }
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; // no SA_RESTART: a waiting read returns, and the loop sees it
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_crash;
    const int crash[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT};
    for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++)
        sigaction(crash[i], &sa, NULL);
}

// A recording (--record). curses writes to the terminal's file descriptor with write(2) and
// takes the terminal's modes and size from it, so its output cannot be caught on the way (a
// FILE made with fopencookie has no descriptor: curses writes nothing to it). Instead a second
// curses screen of the same terminal type is kept at the terminal's size, drawn with the same
// frames, and writes to a scratch file: after each refresh the bytes curses wrote for that
// frame, the same bytes it sent the terminal, are one "o" event. It starts and ends as the
// terminal's screen does, so the recording holds the set-up and the restoring bytes too.
struct rec {
    struct asciicast *cast; // NULL: not recording
    SCREEN *screen;
    FILE *out; // the second screen's output: read back and emptied after each frame
    int w, h;  // its size
    char *buf; // the bytes of a frame
    size_t cap;
};

struct term {
    int colors; // what the terminal offers: 256, 8 or 0
    int utf8;
    struct grid grid;
    struct rec rec;
};

// The colour pair for fg on bg (alloc_pair keeps a cache; 0 is the default pair).
static int pair_for(int fg, int bg)
{
    if (fg < 0 && bg < 0)
        return 0;
    int p = alloc_pair(fg, bg);
    return p < 0 ? 0 : p;
}

// The attributes of a face (enum export_attr) as curses has them.
static attr_t face_attr(unsigned a)
{
    return (a & EXPORT_BOLD ? A_BOLD : 0) | (a & EXPORT_DIM ? A_DIM : 0) |
           (a & EXPORT_REVERSE ? A_REVERSE : 0) | (a & EXPORT_UNDERLINE ? A_UNDERLINE : 0);
}

// Every cell as export_face shows it: the pictures of the screen use the same mapping.
static void present(struct term *t, enum palette_scheme scheme)
{
    const struct grid *g = &t->grid;
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++) {
            struct cell_face f = export_face(&g->cells[(size_t)y * g->w + x], scheme, t->utf8);
            wchar_t wc[2] = {(wchar_t)f.cp, 0};
            cchar_t cc;
            setcchar(&cc, wc, face_attr(f.attr), (short)pair_for(f.fg, f.bg), NULL);
            mvadd_wch(y, x, &cc);
        }
}

static int map_key(int rc, wint_t ch)
{
    if (rc == KEY_CODE_YES) {
        switch (ch) {
        case KEY_UP:
            return SF_KEY_UP;
        case KEY_DOWN:
            return SF_KEY_DOWN;
        case KEY_LEFT:
            return SF_KEY_LEFT;
        case KEY_RIGHT:
            return SF_KEY_RIGHT;
        case KEY_HOME:
            return SF_KEY_HOME;
        case KEY_END:
            return SF_KEY_END;
        case KEY_PPAGE:
            return SF_KEY_PAGE_UP;
        case KEY_NPAGE:
            return SF_KEY_PAGE_DOWN;
        case KEY_BACKSPACE:
            return SF_KEY_BACKSPACE;
        case KEY_DC:
            return SF_KEY_DELETE;
        case KEY_ENTER:
            return SF_KEY_ENTER;
        default:
            return 0;
        }
    }
    if (ch == '\r')
        return SF_KEY_ENTER;
    if (ch == 127 || ch == 8)
        return SF_KEY_BACKSPACE;
    return (int)ch;
}

static int term_resize(struct term *t, struct app *a)
{
    int h, w;
    getmaxyx(stdscr, h, w);
    if (w < 1 || h < 1)
        w = h = 1;
    if (t->grid.w == w && t->grid.h == h)
        return 0;
    grid_free(&t->grid);
    // The app lays its screen out for the grid it is drawn into.
    a->width = w > 4096 ? 4096 : w;
    a->height = h > 4096 ? 4096 : h;
    int rc = grid_init(&t->grid, a->width, a->height);
    t->grid.ascii = !t->utf8;
    return rc;
}

// take_input's flag for a failure of the terminal itself (the grid could not be resized).
enum { TUI_FAILED = 0x100 };

// One key, mouse event or resize from get_wch (rc, ch): what the app must redo (APP_* flags),
// or TUI_FAILED.
static int take_input(struct term *t, struct app *a, int rc, wint_t ch)
{
    if (rc == KEY_CODE_YES && ch == KEY_RESIZE)
        return term_resize(t, a) ? TUI_FAILED : APP_REDRAW;
    if (rc == KEY_CODE_YES && ch == KEY_MOUSE) {
        MEVENT ev;
        return getmouse(&ev) == OK ? app_click(a, ev.x, ev.y) : 0;
    }
    int key = map_key(rc, ch);
    return key ? app_key(a, key) : 0;
}

// Takes what the recording's screen wrote since the last time as one output event, and empties
// its file. curses writes with write(2), so the bytes are all in the file once it returns.
static void rec_take(struct rec *r)
{
    int fd = fileno(r->out);
    off_t n = lseek(fd, 0, SEEK_CUR);
    if (n > 0 && (size_t)n > r->cap) {
        char *b = realloc(r->buf, (size_t)n);
        if (!b && !r->cast->status)
            r->cast->status = SF_ERR_NOMEM; // the recording says so when it ends
        if (b) {
            r->buf = b;
            r->cap = (size_t)n;
        }
    }
    ssize_t got = n > 0 && (size_t)n <= r->cap ? pread(fd, r->buf, (size_t)n, 0) : 0;
    if (got > 0)
        asciicast_output(r->cast, sf_now_ms(), r->buf, (size_t)got);
    if (ftruncate(fd, 0) == 0)
        lseek(fd, 0, SEEK_SET);
}

// The frame just drawn, drawn again on the recording's screen (resized first when the terminal
// was): its bytes are the next event.
static void rec_frame(struct term *t, enum palette_scheme scheme)
{
    struct rec *r = &t->rec;
    set_term(r->screen);
    if (r->w != t->grid.w || r->h != t->grid.h) {
        // as curses does for the terminal's screen on SIGWINCH: the next refresh redraws all
        resizeterm(t->grid.h, t->grid.w);
        r->w = t->grid.w;
        r->h = t->grid.h;
        asciicast_resize(r->cast, sf_now_ms(), r->w, r->h);
    }
    present(t, scheme);
    refresh();
    set_term(live_screen);
    rec_take(r);
}

static void draw(struct term *t, struct app *a)
{
    struct screen_state s;
    app_screen(a, &s);
    int scheme = a->scheme;
    if (t->colors < 256 && (scheme == PALETTE_256 || scheme == PALETTE_LIGHT))
        scheme = t->colors >= 8 ? PALETTE_8 : PALETTE_MONO;
    if (t->colors < 8)
        scheme = PALETTE_MONO;
    screen_draw(&t->grid, &s);
    present(t, (enum palette_scheme)scheme);
    refresh();
    if (t->rec.cast)
        rec_frame(t, (enum palette_scheme)scheme);
}

// The modes, keys, cursor, colours and mouse of the current screen (the terminal's, then the
// recording's in the same way, so both write the same bytes). Returns the colours on offer.
static int set_up_screen(void)
{
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    int colors = 0;
    if (has_colors()) {
        start_color();
        use_default_colors();
        colors = COLORS >= 256 ? 256 : (COLORS >= 8 ? 8 : 0);
    }
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
    mouseinterval(0);
    return colors;
}

// The recording's screen: a curses screen of the terminal's type writing to a scratch file.
// Made before the terminal's screen, so a failure is told while the terminal is as it was.
static int rec_open(struct rec *r, struct asciicast *cast, FILE *err)
{
    r->out = tmpfile();
    // A screen on a file takes its size from LINES and COLUMNS (else the terminal type's
    // default, 80 x 24, whose scrolling region it would write): they are set to the terminal's
    // size while it is made, then put back as they were.
    struct winsize ws;
    char *lines = getenv("LINES"), *cols = getenv("COLUMNS");
    lines = lines ? strdup(lines) : NULL;
    cols = cols ? strdup(cols) : NULL;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", ws.ws_row);
        setenv("LINES", v, 1);
        snprintf(v, sizeof v, "%d", ws.ws_col);
        setenv("COLUMNS", v, 1);
    }
    r->screen = r->out ? newterm(NULL, r->out, stdin) : NULL;
    if (lines)
        setenv("LINES", lines, 1);
    else
        unsetenv("LINES");
    if (cols)
        setenv("COLUMNS", cols, 1);
    else
        unsetenv("COLUMNS");
    free(lines);
    free(cols);
    if (!r->screen) {
        fprintf(err, "stepformer: --record: cannot make a scratch file for the recording (%s)\n",
                r->out ? "curses cannot set up a second screen" : "tmpfile failed");
        if (r->out)
            fclose(r->out);
        r->out = NULL;
        return -1;
    }
    r->cast = cast;
    return 0;
}

// Starts the recording once the terminal's screen is up at the grid's size: the header, then
// the recording's screen set up as the terminal's was, at the same size.
static void rec_start(struct term *t, const char *title)
{
    struct rec *r = &t->rec;
    struct asciicast_header h = {.width = t->grid.w,
                                 .height = t->grid.h,
                                 .timestamp = (long long)time(NULL),
                                 .title = title,
                                 .term = getenv("TERM"),
                                 .shell = getenv("SHELL")};
    asciicast_header(r->cast, &h, sf_now_ms());
    set_term(r->screen);
    set_up_screen();
    typeahead(-1); // the terminal's screen reads the keys; this one never waits for them
    resizeterm(t->grid.h, t->grid.w);
    r->w = t->grid.w;
    r->h = t->grid.h;
    set_term(live_screen);
    rec_take(r);
}

// Ends the recording's screen as the terminal's is about to be: the bytes that restore the
// terminal are the last event.
static void rec_stop(struct rec *r)
{
    if (r->screen) {
        set_term(r->screen);
        endwin();
        if (live_screen)
            set_term(live_screen);
        if (r->cast)
            rec_take(r);
        delscreen(r->screen);
    }
    if (r->out)
        fclose(r->out);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

int tui_run(struct app *a, struct asciicast *cast, const char *title, FILE *err)
{
    setlocale(LC_ALL, "");
    const char *term = getenv("TERM");
    if (!term || !*term || strcmp(term, "dumb") == 0) {
        fprintf(err,
                "stepformer: TERM is %s: the screen needs a terminal that can move the "
                "cursor (for example TERM=xterm-256color)\n",
                term && *term ? term : "not set");
        return 2;
    }
    struct term t = {0};
    const char *cs = nl_langinfo(CODESET);
    t.utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
    install_signals();
    if (cast && rec_open(&t.rec, cast, err))
        return 2;
    live_screen = newterm(NULL, stdout, stdin);
    if (!live_screen) {
        rec_stop(&t.rec);
        fprintf(err, "stepformer: cannot set up the terminal '%s'\n", term);
        return 2;
    }
    curses_up = 1;
    atexit(restore_at_exit);
    sf_assert_set_hook(restore_at_exit);
    t.colors = set_up_screen();
    const char *no_color = getenv("NO_COLOR");
    if (!a->scheme_chosen) // --palette or STEPFORMER_PALETTE win over NO_COLOR
        a->scheme = palette_choose(t.colors, no_color);
    int status = 0;
    if (term_resize(&t, a)) {
        status = 2;
        goto out;
    }
    if (t.rec.cast)
        rec_start(&t, title);
    draw(&t, a);
    for (;;) {
        if (stop_signal) {
            status = 128 + (int)stop_signal;
            break;
        }
        timeout(a->running ? a->speed_ms : app_busy(a) ? 0 : -1);
        wint_t ch;
        int rc = get_wch(&ch);
        int redo = 0;
        if (rc == ERR) { // no key: the time for the next slice of work
            redo = app_tick(a, 50);
        } else {
            // Every key already waiting is taken before the next redraw, so a paste of
            // thousands of characters costs one redraw instead of one per character. Keys that
            // keep coming (or each take long) still get a redraw every 100 ms.
            double start = sf_now_ms();
            timeout(0);
            do
                redo |= take_input(&t, a, rc, ch);
            while (!(redo & (APP_QUIT | TUI_FAILED)) && !stop_signal && sf_now_ms() - start < 100 &&
                   (rc = get_wch(&ch)) != ERR);
        }
        if (redo & TUI_FAILED)
            status = 2;
        if (redo & (APP_QUIT | TUI_FAILED))
            break;
        if (redo)
            draw(&t, a);
    }
out:
    grid_free(&t.grid);
    rec_stop(&t.rec);
    endwin();
    curses_up = 0;
    return status;
}
