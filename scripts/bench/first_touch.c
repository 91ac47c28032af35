// What this machine charges for memory a process touches for the first time, against touching it
// again: a build touches its peak resident size once (about 330 MB at 10,000 articles), the
// cmark-gfm floor very little. Maps SIZE MB, writes one byte per 4 KB page (the kernel zeroes each
// page on its first touch), then fills all of it with memset; three rounds each with small pages
// and with transparent huge pages asked for (madvise, as jemalloc's thp:always does). Built and
// run by first_touch.sh.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec + time.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    size_t megabytes = argc > 1 ? (size_t)atol(argv[1]) : 512;
    size_t size = megabytes << 20;
    for (int huge = 0; huge < 2; huge++) {
        for (int round = 0; round < 3; round++) {
            unsigned char *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (memory == MAP_FAILED) {
                perror("mmap");
                return 71;
            }
            if (huge) madvise(memory, size, MADV_HUGEPAGE);
            double start = now();
            for (size_t offset = 0; offset < size; offset += 4096) memory[offset] = 1;
            double first = now() - start;
            start = now();
            memset(memory, 2, size);
            double again = now() - start;
            printf("%s pages, round %d: first touch %.0f ms (%.2f GB/s, %.2f ms per MB), memset after it %.0f ms (%.1f GB/s)\n",
                   huge ? "huge " : "small", round + 1, first * 1e3, size / first / 1e9, first * 1e3 / megabytes, again * 1e3,
                   size / again / 1e9);
            munmap(memory, size);
        }
    }
    return 0;
}
