/* The safe twins of vulnerable/bugs.c. */
#include <stdio.h>

int classify(int code) {
    int level = 0;
    int c;
    switch (code) {
    case 1:
        level = 1;
        /* fall through */
    case 2:
        level += 2;
        break;
    case 3:
    case 4:
        return 4;
    default:
        break;
    }
    if (level == 2) {
        puts("two");
    }
    while ((c = getchar()) != EOF) {
        level++;
    }
    if ((c = getchar())) {
        level++;
    }
    return level;
}
