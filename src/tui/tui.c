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
#include <wchar.h>

static volatile sig_atomic_t stop_signal; // SIGINT, SIGTERM, SIGHUP: quit cleanly
static int curses_up;

static void on_stop(int sig)
{
    stop_signal = sig;
}

// A crash: give the terminal back, then die of the same signal.
static void on_crash(int sig)
{
    if (curses_up)
        endwin();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void restore_at_exit(void)
{
    if (curses_up) {
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

struct term {
    int colors; // what the terminal offers: 256, 8 or 0
    int utf8;
    struct grid grid;
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
}

int tui_run(struct app *a, FILE *err)
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
    if (!newterm(NULL, stdout, stdin)) {
        fprintf(err, "stepformer: cannot set up the terminal '%s'\n", term);
        return 2;
    }
    curses_up = 1;
    atexit(restore_at_exit);
    sf_assert_set_hook(restore_at_exit);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        t.colors = COLORS >= 256 ? 256 : (COLORS >= 8 ? 8 : 0);
    }
    const char *no_color = getenv("NO_COLOR");
    if (!a->scheme_chosen) // --palette or STEPFORMER_PALETTE win over NO_COLOR
        a->scheme = palette_choose(t.colors, no_color);
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
    mouseinterval(0);
    int status = 0;
    if (term_resize(&t, a)) {
        status = 2;
        goto out;
    }
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
    endwin();
    curses_up = 0;
    return status;
}
