CC=cc
DEP_CFLAGS=-I/usr/include/glib-2.0 -I/usr/lib/x86_64-linux-gnu/glib-2.0/include -I/usr/include/pixman-1 -I/usr/include/slirp -I/usr/include/SDL2 -D_REENTRANT 
DEP_LIBS=-lpixman-1 -lz -lslirp -lglib-2.0 -lSDL2 
SAN_FLAGS=
EXTRA_CFLAGS=
CONFIG_SDL=yes
