/*
 * -display curses: the guest's VGA text screen on the host terminal, and
 * the terminal's keys typed into the guest's keyboard.
 *
 * A terminal delivers characters, not key presses: each character is
 * turned back into the key strokes of a US keyboard that produce it (Shift
 * for capitals, Ctrl for control characters, Alt for an ESC prefix) and
 * sent as press + release.  The screen is redrawn from the device's text
 * buffer (console_text_update) on the console's refresh timer; only cells
 * that changed are given to curses, which sends the terminal the minimum.
 */
#include "config-host.h"

#ifdef CONFIG_CURSES

#define NCURSES_WIDECHAR 1
#include "ui/curses.h"

#include <curses.h>
#include <locale.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>

#include "chardev/chardev.h"
#include "ui/console.h"
#include "ui/input.h"
#include "util/error.h"
#include "util/log.h"

/* Generous for any VGA text mode (at most 132x60); the device fills w*h. */
#define CURSES_MAX_COLS 256
#define CURSES_MAX_ROWS 128

typedef struct CursesDisplay {
    DisplayListener dl;
    SCREEN *screen;
    bool utf8;                  /* the terminal's locale can show Unicode */
    bool full_redraw;
    bool in_graphics;
    int cols, rows;             /* the guest's text size last drawn */
    uint16_t cells[CURSES_MAX_COLS * CURSES_MAX_ROWS];
    uint16_t shown[CURSES_MAX_COLS * CURSES_MAX_ROWS];
} CursesDisplay;

static CursesDisplay cur;

/* Code page 437, the VGA's ROM font, as Unicode. */
static const uint16_t curses_cp437[256] = {
    0x0020, 0x263a, 0x263b, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022,
    0x25d8, 0x25cb, 0x25d9, 0x2642, 0x2640, 0x266a, 0x266b, 0x263c,
    0x25ba, 0x25c4, 0x2195, 0x203c, 0x00b6, 0x00a7, 0x25ac, 0x21a8,
    0x2191, 0x2193, 0x2192, 0x2190, 0x221f, 0x2194, 0x25b2, 0x25bc,
    /* 0x20..0x7e are ASCII, drawn as themselves (curses_draw_cell) */
    [0x7f] = 0x2302,
    0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
    0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
    0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
    0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
    0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
    0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
    0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
    0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
    0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
    0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
    0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
    0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4,
    0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
    0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248,
    0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

/* VGA colour index (blue = 1, red = 4) -> curses colour (red = 1, blue = 4). */
static const short curses_vga_colour[8] = {
    COLOR_BLACK, COLOR_BLUE, COLOR_GREEN, COLOR_CYAN,
    COLOR_RED, COLOR_MAGENTA, COLOR_YELLOW, COLOR_WHITE,
};

/* Line graphics for a terminal without Unicode: the ACS set has the
 * single lines; double lines and blocks fall back to their nearest. */
static chtype curses_cp437_acs(uint8_t c)
{
    switch (c) {
    case 0xb3: case 0xba: return ACS_VLINE;
    case 0xc4: case 0xcd: return ACS_HLINE;
    case 0xda: case 0xc9: case 0xd5: case 0xd6: return ACS_ULCORNER;
    case 0xbf: case 0xbb: case 0xb7: case 0xb8: return ACS_URCORNER;
    case 0xc0: case 0xc8: case 0xd3: case 0xd4: return ACS_LLCORNER;
    case 0xd9: case 0xbc: case 0xbd: case 0xbe: return ACS_LRCORNER;
    case 0xc3: case 0xcc: case 0xc6: case 0xc7: return ACS_LTEE;
    case 0xb4: case 0xb9: case 0xb5: case 0xb6: return ACS_RTEE;
    case 0xc2: case 0xcb: case 0xd1: case 0xd2: return ACS_TTEE;
    case 0xc1: case 0xca: case 0xcf: case 0xd0: return ACS_BTEE;
    case 0xc5: case 0xce: case 0xd7: case 0xd8: return ACS_PLUS;
    case 0xb0: case 0xb1: return ACS_CKBOARD;
    case 0xb2: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf: case 0xfe:
        return ACS_BLOCK;
    case 0xf8: return ACS_DEGREE;
    case 0xf1: return ACS_PLMINUS;
    case 0xf9: case 0xfa: case 0x07: return ACS_BULLET;
    case 0x18: case 0x1e: return ACS_UARROW;
    case 0x19: case 0x1f: return ACS_DARROW;
    case 0x1a: case 0x10: return ACS_RARROW;
    case 0x1b: case 0x11: return ACS_LARROW;
    case 0x00: return ' ';
    default:
        return c >= 0x20 && c < 0x7f ? c : '?';
    }
}

static void curses_draw_cell(int x, int y, uint16_t cell)
{
    uint8_t ch = cell & 0xff, attr = cell >> 8;
    int fg = attr & 7, bg = (attr >> 4) & 7;
    /* pair 1 + fg * 8 + bg: all 64 combinations exist (curses_init_colours);
     * the intensity bit is bold, the blink/bright-background bit is lost */
    attr_t a = (attr & 0x08) ? A_BOLD : A_NORMAL;
    short pair = has_colors() ? 1 + fg * 8 + bg : 0;
    if (!has_colors() && bg > fg) {
        a |= A_REVERSE;
    }
    if (cur.utf8) {
        wchar_t wc[2] = { ch >= 0x20 && ch < 0x7f ? ch : curses_cp437[ch], 0 };
        cchar_t cc;
        setcchar(&cc, wc, a, pair, NULL);
        mvadd_wch(y, x, &cc);
    } else {
        mvaddch(y, x, curses_cp437_acs(ch) | a | COLOR_PAIR(pair));
    }
}

static void curses_show_graphics(void)
{
    /* There is no text to show: one line says why the screen is empty. */
    char msg[64];
    DisplaySurface *s = cur.dl.con ? console_surface(cur.dl.con) : NULL;
    if (s) {
        snprintf(msg, sizeof(msg), "%i x %i Graphic mode", surface_width(s), surface_height(s));
    } else {
        snprintf(msg, sizeof(msg), "Graphic mode");
    }
    attrset(A_NORMAL | COLOR_PAIR(has_colors() ? 1 + 7 * 8 : 0));
    erase();
    int x = (COLS - (int)strlen(msg)) / 2;
    mvaddstr(LINES / 2, x < 0 ? 0 : x, msg);
    curs_set(0);
}

static void curses_refresh(DisplayListener *dl)
{
    int w = CURSES_MAX_COLS, h = CURSES_MAX_ROWS, cx = 0, cy = 0;
    bool cursor = false;
    if (!dl->con || !console_text_update(dl->con, cur.cells, &w, &h, &cx, &cy, &cursor)) {
        if (!cur.in_graphics || cur.full_redraw) {
            curses_show_graphics();
            cur.in_graphics = true;
            cur.full_redraw = false;
            refresh();
        }
        return;
    }
    if (w <= 0 || h <= 0 || w > CURSES_MAX_COLS || h > CURSES_MAX_ROWS) {
        return;
    }
    if (cur.in_graphics || w != cur.cols || h != cur.rows) {
        cur.full_redraw = true;
        cur.in_graphics = false;
        cur.cols = w;
        cur.rows = h;
    }
    if (cur.full_redraw) {
        attrset(A_NORMAL);
        erase();
    }
    bool changed = cur.full_redraw;
    /* A terminal smaller than the guest's screen shows its top left. */
    int vis_w = MIN(w, COLS), vis_h = MIN(h, LINES);
    for (int y = 0; y < vis_h; y++) {
        for (int x = 0; x < vis_w; x++) {
            uint16_t c = cur.cells[y * w + x];
            if (cur.full_redraw || c != cur.shown[y * w + x]) {
                curses_draw_cell(x, y, c);
                cur.shown[y * w + x] = c;
                changed = true;
            }
        }
    }
    cur.full_redraw = false;
    bool cur_in = cursor && cx >= 0 && cy >= 0 && cx < vis_w && cy < vis_h;
    curs_set(cur_in ? 1 : 0);
    if (cur_in) {
        move(cy, cx);
    }
    if (changed || cur_in) {
        refresh();
    }
}

static const DisplayListenerOps curses_listener_ops = {
    .name = "curses",
    .refresh = curses_refresh,
};

/* US layout: the key (qnum) and whether Shift is needed for each ASCII
 * character a terminal sends. */
typedef struct CursesKey { uint8_t qnum; bool shift; } CursesKey;

static const CursesKey curses_ascii[128] = {
    ['1'] = {0x02}, ['2'] = {0x03}, ['3'] = {0x04}, ['4'] = {0x05}, ['5'] = {0x06},
    ['6'] = {0x07}, ['7'] = {0x08}, ['8'] = {0x09}, ['9'] = {0x0a}, ['0'] = {0x0b},
    ['!'] = {0x02, 1}, ['@'] = {0x03, 1}, ['#'] = {0x04, 1}, ['$'] = {0x05, 1},
    ['%'] = {0x06, 1}, ['^'] = {0x07, 1}, ['&'] = {0x08, 1}, ['*'] = {0x09, 1},
    ['('] = {0x0a, 1}, [')'] = {0x0b, 1},
    ['-'] = {0x0c}, ['_'] = {0x0c, 1}, ['='] = {0x0d}, ['+'] = {0x0d, 1},
    ['['] = {0x1a}, ['{'] = {0x1a, 1}, [']'] = {0x1b}, ['}'] = {0x1b, 1},
    [';'] = {0x27}, [':'] = {0x27, 1}, ['\''] = {0x28}, ['"'] = {0x28, 1},
    ['`'] = {0x29}, ['~'] = {0x29, 1}, ['\\'] = {0x2b}, ['|'] = {0x2b, 1},
    [','] = {0x33}, ['<'] = {0x33, 1}, ['.'] = {0x34}, ['>'] = {0x34, 1},
    ['/'] = {0x35}, ['?'] = {0x35, 1}, [' '] = {0x39},
    ['\t'] = {0x0f}, ['\r'] = {0x1c}, ['\n'] = {0x1c}, [0x1b] = {0x01},
    [0x7f] = {0x0e}, ['\b'] = {0x0e},
    ['a'] = {0x1e}, ['b'] = {0x30}, ['c'] = {0x2e}, ['d'] = {0x20}, ['e'] = {0x12},
    ['f'] = {0x21}, ['g'] = {0x22}, ['h'] = {0x23}, ['i'] = {0x17}, ['j'] = {0x24},
    ['k'] = {0x25}, ['l'] = {0x26}, ['m'] = {0x32}, ['n'] = {0x31}, ['o'] = {0x18},
    ['p'] = {0x19}, ['q'] = {0x10}, ['r'] = {0x13}, ['s'] = {0x1f}, ['t'] = {0x14},
    ['u'] = {0x16}, ['v'] = {0x2f}, ['w'] = {0x11}, ['x'] = {0x2d}, ['y'] = {0x15},
    ['z'] = {0x2c},
};

#define QNUM_LSHIFT 0x2a
#define QNUM_LCTRL  0x1d
#define QNUM_LALT   0x38

/* Through the input layer's timed queue, as QEMU's curses does: a paste
 * or a burst of escape sequences would otherwise overrun the PS/2
 * keyboard's 16-byte buffer, and the guest would lose keys. */
static void curses_key(int qnum, bool down)
{
    input_queue_key(qnum, down);
    input_queue_delay(10);
}

static void curses_tap(int qnum, bool shift, bool ctrl, bool alt)
{
    if (ctrl) curses_key(QNUM_LCTRL, true);
    if (alt) curses_key(QNUM_LALT, true);
    if (shift) curses_key(QNUM_LSHIFT, true);
    curses_key(qnum, true);
    curses_key(qnum, false);
    if (shift) curses_key(QNUM_LSHIFT, false);
    if (alt) curses_key(QNUM_LALT, false);
    if (ctrl) curses_key(QNUM_LCTRL, false);
}

/* A function key curses decoded from an escape sequence -> qnum, or 0. */
static int curses_keycode_qnum(int k, bool *shift)
{
    *shift = false;
    if (k >= KEY_F(1) && k <= KEY_F(10)) {
        return 0x3b + (k - KEY_F(1));
    }
    if (k == KEY_F(11)) return 0x57;
    if (k == KEY_F(12)) return 0x58;
    /* many terminals report Shift+F1..F12 as F13..F24 */
    if (k >= KEY_F(13) && k <= KEY_F(22)) {
        *shift = true;
        return 0x3b + (k - KEY_F(13));
    }
    if (k == KEY_F(23)) { *shift = true; return 0x57; }
    if (k == KEY_F(24)) { *shift = true; return 0x58; }
    switch (k) {
    case KEY_UP: return 0xc8;
    case KEY_DOWN: return 0xd0;
    case KEY_LEFT: return 0xcb;
    case KEY_RIGHT: return 0xcd;
    case KEY_HOME: return 0xc7;
    case KEY_END: return 0xcf;
    case KEY_PPAGE: return 0xc9;
    case KEY_NPAGE: return 0xd1;
    case KEY_IC: return 0xd2;
    case KEY_DC: return 0xd3;
    case KEY_BACKSPACE: return 0x0e;
    case KEY_ENTER: return 0x1c;
    case KEY_BTAB: *shift = true; return 0x0f;
    case KEY_SR: *shift = true; return 0xc8;
    case KEY_SF: *shift = true; return 0xd0;
    case KEY_SLEFT: *shift = true; return 0xcb;
    case KEY_SRIGHT: *shift = true; return 0xcd;
    case KEY_SHOME: *shift = true; return 0xc7;
    case KEY_SEND: *shift = true; return 0xcf;
    case KEY_SDC: *shift = true; return 0xd3;
    default: return 0;
    }
}

/* One character (or decoded key) from the terminal; ALT when it followed
 * an ESC, which is how terminals send Alt+key. */
static void curses_send_char(wint_t c, bool is_key, bool alt)
{
    bool shift;
    if (is_key) {
        int q = curses_keycode_qnum(c, &shift);
        if (q) {
            curses_tap(q, shift, false, alt);
        }
        return;
    }
    if (c >= 'A' && c <= 'Z') {
        curses_tap(curses_ascii[c - 'A' + 'a'].qnum, true, false, alt);
    } else if (c >= 1 && c <= 26 && !curses_ascii[c].qnum) {
        /* Ctrl+letter, except those that are Tab, Enter, Backspace */
        curses_tap(curses_ascii[c - 1 + 'a'].qnum, false, true, alt);
    } else if (c == 0) {
        curses_tap(0x03, false, true, alt);         /* Ctrl+@ = Ctrl+2 */
    } else if (c < 128 && curses_ascii[c].qnum) {
        curses_tap(curses_ascii[c].qnum, curses_ascii[c].shift, false, alt);
    }
    /* anything else has no key on a US keyboard: dropped */
}

static gboolean curses_on_input(gint fd, GIOCondition cond, gpointer opaque)
{
    wint_t c;
    int r;
    while ((r = get_wch(&c)) != ERR) {
        if (r == KEY_CODE_YES && c == KEY_RESIZE) {
            cur.full_redraw = true;
            continue;
        }
        bool alt = false;
        if (r == OK && c == 0x1b) {
            /* an ESC with a character right behind it is Alt+character;
             * alone (after ESCDELAY) it is the Esc key */
            wint_t n;
            int r2 = get_wch(&n);
            if (r2 != ERR) {
                alt = true;
                r = r2;
                c = n;
            }
        }
        curses_send_char(c, r == KEY_CODE_YES, alt);
    }
    if (cond & (G_IO_HUP | G_IO_ERR)) {
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void curses_atexit(void)
{
    if (cur.screen) {
        endwin();
        cur.screen = NULL;
    }
}

/* fatal() exits without atexit handlers: the terminal is restored here,
 * then whatever the chardevs must undo. */
static void curses_fatal_cleanup(void)
{
    curses_atexit();
    chardev_cleanup_all();
}

static void curses_init_colours(void)
{
    if (!has_colors()) {
        return;
    }
    start_color();
    for (int fg = 0; fg < 8; fg++) {
        for (int bg = 0; bg < 8; bg++) {
            init_pair(1 + fg * 8 + bg, curses_vga_colour[fg], curses_vga_colour[bg]);
        }
    }
}

bool curses_display_init(GError **errp)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        vireo_set_error(errp, "stdin and stdout must be a terminal");
        return false;
    }
    setlocale(LC_CTYPE, "");
    cur.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
    cur.screen = newterm(NULL, stdout, stdin);
    if (!cur.screen) {
        vireo_set_error(errp, "cannot drive the terminal '%s'",
                        g_getenv("TERM") ? g_getenv("TERM") : "(TERM unset)");
        return false;
    }
    atexit(curses_atexit);
    fatal_set_cleanup(curses_fatal_cleanup);
    /* raw: Ctrl-C, Ctrl-Z and Ctrl-\ are keys for the guest, as in QEMU */
    raw();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    scrollok(stdscr, FALSE);
    set_escdelay(25);
    curses_init_colours();
    erase();
    refresh();
    cur.full_redraw = true;
    g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, curses_on_input, NULL);
    cur.dl.ops = &curses_listener_ops;
    if (console_by_index(0)) {
        display_listener_register(&cur.dl, NULL);
    } else {
        curses_show_graphics();
        refresh();
    }
    return true;
}

#endif /* CONFIG_CURSES */
