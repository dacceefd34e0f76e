/*
 * rdkafka_murmur2.c -- test oracle: librdkafka's murmur2 partitioner.
 *
 * Reads one key per line in hex (an empty line is the empty key) and prints,
 * per key, rd_kafka_msg_partitioner_murmur2() for each partition count given
 * on the command line, space-separated.  Built by t/053_kafka_partition.pl
 * with: cc -o rdkafka_murmur2 rdkafka_murmur2.c -lrdkafka
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
main(int argc, char **argv)
{
	static char line[1 << 16];
	static unsigned char key[1 << 15];
	int			ncounts = argc - 1;
	int32_t    *counts = calloc((size_t) (ncounts > 0 ? ncounts : 1), sizeof(int32_t));
	int			i;

	for (i = 0; i < ncounts; i++)
		counts[i] = (int32_t) atol(argv[i + 1]);
	while (fgets(line, sizeof(line), stdin))
	{
		size_t		len = strcspn(line, "\r\n");
		size_t		n = 0;

		for (size_t j = 0; j < len; j += 2)
		{
			int			hi = hexval(line[j]);
			int			lo = hexval(line[j + 1]);

			if (hi < 0 || lo < 0)
			{
				fprintf(stderr, "bad hex: %s\n", line);
				return 2;
			}
			key[n++] = (unsigned char) (hi * 16 + lo);
		}
		for (i = 0; i < ncounts; i++)
			printf("%s%d", i ? " " : "",
				   rd_kafka_msg_partitioner_murmur2(NULL, key, n, counts[i], NULL, NULL));
		printf("\n");
	}
	return 0;
}
