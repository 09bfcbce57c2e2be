// The safe twin of vulnerable/server.cpp.
#include <cstdio>
#include <string>
#include <unistd.h>

int handle(int sock) {
    char query[512];
    ssize_t n = recv(sock, query, sizeof query - 1, 0);
    query[n > 0 ? n : 0] = 0;
    std::printf("%s\n", query);
    execlp("convert", "convert", query, "out.png", (char *)nullptr);
    switch (n) {
    case 0:
        return 0;
    case 1:
        std::puts("one");
        [[fallthrough]];
    case 2:
        std::puts("two");
        break;
    default:
        break;
    }
    return 1;
}
