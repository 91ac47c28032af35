// The auto-link matcher's word scan on its own: the byte loop (`scan_word`) against the scan by
// sixteen-byte blocks (`scan_word_in_blocks`) over the same text, on one core. Built and run by
// word_scan.sh; prints the time of each (3 rounds of 5 passes) and the words each found, which
// must be the same.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "../../Sources/CTextScan/text_scan.c"

static double now(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec + time.tv_nsec * 1e-9;
}

// A place where a character that is not ASCII starts is passed over, as the caller's decoding would.
static const unsigned char *after_slow(const unsigned char *start) {
    const unsigned char *at = start + 1;
    while (*at >= 0x80) at++;
    return at;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: word_scan TEXT_FILE\n");
        return 64;
    }
    FILE *file = fopen(argv[1], "rb");
    if (!file) {
        perror(argv[1]);
        return 66;
    }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *text = aligned_alloc(64, (size_t)(size + 64) / 64 * 64);
    if (fread(text, 1, (size_t)size, file) != (size_t)size) return 74;
    text[size] = 0;
    // NUL bytes inside the text would end it early: they become spaces.
    for (long index = 0; index < size; index++) if (text[index] == 0) text[index] = ' ';
    printf("%.1f MB of text\n", size / 1e6);
    for (int round = 0; round < 3; round++) {
        long words[2] = {0, 0}, bytes[2] = {0, 0};
        double seconds[2];
        for (int way = 0; way < 2; way++) {
            double start_time = now();
            for (int pass = 0; pass < 5; pass++) {
                const unsigned char *at = text, *start, *end;
                block_masks masks = {0};
                int found;
                while ((found = way == 0 ? scan_word(at, &start, &end) : scan_word_in_blocks(&masks, at, &start, &end))) {
                    if (found == 2) {
                        at = after_slow(start);
                        continue;
                    }
                    words[way]++;
                    bytes[way] += end - start;
                    at = end;
                }
            }
            seconds[way] = now() - start_time;
        }
        printf("byte loop %.3f s, blocks %.3f s (%.2f×); words %ld and %ld, word bytes %ld and %ld%s\n", seconds[0], seconds[1],
               seconds[0] / seconds[1], words[0], words[1], bytes[0], bytes[1],
               words[0] == words[1] && bytes[0] == bytes[1] ? "" : "  DIFFERENT");
    }
    return 0;
}
