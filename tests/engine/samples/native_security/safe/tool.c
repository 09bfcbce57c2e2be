/* The safe twins of vulnerable/tool.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static char greeting[32];

void greet(const char *name) {
    snprintf(greeting, sizeof greeting, "%s", name);
}

int session_token(void) {
    int token;
    getrandom(&token, sizeof token, 0);
    return token;
}

int shuffle_seed(void) {
    int jitter = rand();
    return jitter;
}

int main(int argc, char **argv) {
    char path[64];
    char line[256];
    char command[300];
    strncpy(path, argv[1], sizeof path - 1);
    printf("%s", argv[2]);
    fgets(line, sizeof line, stdin);
    snprintf(command, sizeof command, "grep -- %s /var/log/app.log", "error");
    system("ls -l /var/log");
    strcpy(path, "/tmp");
    sprintf(command, "%d items", argc);
    return 0;
}
