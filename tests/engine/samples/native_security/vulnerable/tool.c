/* A command line tool: argv, the environment and stdin are its input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char greeting[32];

void greet(const char *name) {
    strcpy(greeting, name);
}

int session_token(void) {
    int token = rand(); // expect: insecure-random
    return token;
}

int main(int argc, char **argv) {
    char path[64];
    char line[256];
    char command[300];
    strcpy(path, argv[1]); // expect: buffer-overflow
    printf(argv[2]); // expect: format-string
    gets(line); // expect: buffer-overflow
    fgets(line, sizeof line, stdin);
    sprintf(command, "grep %s /var/log/app.log", line); // expect: buffer-overflow
    system(command); // expect: command-injection
    char *home = getenv("HOME");
    strcat(path, home); // expect: buffer-overflow
    return 0;
}
