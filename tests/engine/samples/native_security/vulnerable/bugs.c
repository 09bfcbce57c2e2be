/* Bug risks: a forgotten break, an assignment where a comparison was meant. */
#include <stdio.h>

int classify(int code) {
    int level = 0;
    switch (code) {
    case 1:
        level = 1; // expect: switch-fallthrough
    case 2:
        level = 2;
        break;
    default:
        break;
    }
    if (level = 2) { // expect: assignment-in-condition
        puts("two");
    }
    return level;
}
