#!/usr/bin/env python3
"""Ask an X11 window to close the way a window manager's close button does:
a WM_PROTOCOLS client message carrying WM_DELETE_WINDOW.  (xdotool's
windowclose destroys the window instead, which a client sees as an error,
and wmctrl -c needs a window manager, which Xvfb does not have.)
Usage: x11-close.py WINDOW_ID   (DISPLAY from the environment)"""
import ctypes
import ctypes.util
import sys


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong),
                ("send_event", ctypes.c_int), ("display", ctypes.c_void_p),
                ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]


class XEvent(ctypes.Union):
    _fields_ = [("xclient", XClientMessageEvent), ("pad", ctypes.c_long * 24)]


def main():
    xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int,
                                ctypes.c_long, ctypes.POINTER(XEvent)]
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    dpy = xlib.XOpenDisplay(None)
    if not dpy:
        sys.exit("x11-close: cannot open the display")
    win = int(sys.argv[1], 0)
    ev = XEvent()
    ev.xclient.type = 33                      # ClientMessage
    ev.xclient.window = win
    ev.xclient.message_type = xlib.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
    ev.xclient.format = 32
    ev.xclient.data[0] = xlib.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
    ev.xclient.data[1] = 0                    # CurrentTime
    xlib.XSendEvent(dpy, win, 0, 0, ctypes.byref(ev))
    xlib.XFlush(dpy)


main()
