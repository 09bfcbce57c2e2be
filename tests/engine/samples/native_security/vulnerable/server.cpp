// A C++ request handler: the query string comes from the network.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int handle(int sock) {
    char query[512];
    char cmd[600];
    recv(sock, query, sizeof query, 0);
    std::sprintf(cmd, "convert %s out.png", query); // expect: buffer-overflow
    std::system(cmd); // expect: command-injection
    std::printf(query); // expect: format-string
    FILE *p = popen(cmd, "r"); // expect: command-injection
    return 0;
}
