/* vmkit: the command-line tool. Placeholder dispatcher, grown by each module. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "vmkit: no commands yet\n");
	return 2;
}
