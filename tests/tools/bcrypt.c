/* bcrypt.c — prints a bcrypt hash ($2b$, cost 10 unless given) of its argument, for the
 * basic-auth tests: Debian's openssl cannot make one. Usage: bcrypt PASSWORD [COST] */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bcrypt PASSWORD [COST]\n");
		return 2;
	}
	memset(&data, 0, sizeof(data));
	if (!crypt_gensalt_rn("$2b$", argc == 3 ? strtoul(argv[2], NULL, 10) : 10, NULL, 0, setting,
			      sizeof(setting)) ||
	    !crypt_r(argv[1], setting, &data) || data.output[0] == '*') {
		perror("bcrypt");
		return 1;
	}
	printf("%s\n", data.output);
	return 0;
}
