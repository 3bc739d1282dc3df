# syntax=docker/dockerfile:1
# Legato Java example worker. Build context: the repository root.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    mvn -q -B -f worker-sdk-java/pom.xml install -DskipTests \
 && mvn -q -B -f examples/java/pom.xml package -DskipTests

FROM eclipse-temurin:17-jre
WORKDIR /app
# The whole target/ directory: the jar and anything its manifest's Class-Path points at.
COPY --from=build /src/examples/java/target/ /app/target/
RUN useradd --system --uid 10001 --no-create-home legato
USER legato
STOPSIGNAL SIGTERM
CMD ["java", "-jar", "/app/target/legato-example-worker.jar"]
